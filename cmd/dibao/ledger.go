package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// cmdLedger runs dibao ledger template|check|import: the ledger (台账) import from the command line.
func cmdLedger(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	return errors.New("not yet implemented")
}
