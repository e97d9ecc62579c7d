package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// cmdStandard runs dibao standard preview|apply|status: a standard change from the command line.
func cmdStandard(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	return errors.New("not yet implemented")
}
