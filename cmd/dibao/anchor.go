package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"dibao/internal/auditsign"
	"dibao/internal/store"
)

// anchorFlags are the audit-anchor options of `audit verify` and `audit anchor`.
type anchorFlags struct {
	file   string
	pubkey string
}

func (a *anchorFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&a.file, "anchors", "", "SM2-signed anchor file (default DATA/"+auditsign.AnchorFile+")")
	fs.StringVar(&a.pubkey, "pubkey", "", "trusted SM2 public key, hex or a file holding it (default DATA/"+auditsign.PublicFile+")")
}

func (a *anchorFlags) path(c *config) string {
	if a.file != "" {
		return a.file
	}
	return filepath.Join(c.data, auditsign.AnchorFile)
}

// anchorNow signs the current chain head and appends it to the anchor file.
func anchorNow(ctx context.Context, db *store.DB, c *config, file string, log *slog.Logger) (auditsign.Anchor, error) {
	signer, created, err := auditsign.LoadOrCreate(c.data)
	if err != nil {
		return auditsign.Anchor{}, fmt.Errorf("audit signing key: %w", err)
	}
	if created {
		log.Warn("created the SM2 audit signing key; give auditors a copy of the public key",
			"public_key_file", filepath.Join(c.data, auditsign.PublicFile))
	}
	seq, hash, err := db.AuditHead(ctx)
	if err != nil {
		return auditsign.Anchor{}, err
	}
	a, err := signer.Sign(seq, hash, time.Now())
	if err != nil {
		return auditsign.Anchor{}, err
	}
	return a, auditsign.Append(file, a)
}

func cmdAuditAnchor(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("audit anchor", flag.ContinueOnError)
	var c config
	var af anchorFlags
	c.flags(fs)
	af.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := anchorNow(ctx, db, &c, af.path(&c), log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit chain anchored at seq %d (hash %s…), appended to %s\n", a.Seq, a.Hash[:16], af.path(&c))
	return nil
}

// anchorEvery anchors the head every interval while serve runs, skipping
// when nothing was appended since the last anchor.
func anchorEvery(ctx context.Context, db *store.DB, c *config, interval time.Duration, log *slog.Logger) {
	file := filepath.Join(c.data, auditsign.AnchorFile)
	var last int64 = -1
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if seq, _, err := db.AuditHead(ctx); err == nil && seq != last {
			if a, err := anchorNow(ctx, db, c, file, log); err != nil {
				log.Error("audit anchor failed", "err", err)
			} else {
				last = a.Seq
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// verifyAnchors checks every anchor's SM2 signature against the trusted
// public key and that the chain still holds the anchored hash at its seq:
// a chain recomputed after an edit passes the SM3 walk but not this.
func verifyAnchors(ctx context.Context, db *store.DB, c *config, af anchorFlags, chainLen int64, stdout io.Writer) error {
	b, err := os.ReadFile(af.path(c))
	if errors.Is(err, fs.ErrNotExist) && af.file == "" {
		fmt.Fprintf(stdout, "no anchor file (%s): the chain is not anchored; run `dibao audit anchor` or serve\n", af.path(c))
		return nil
	}
	if err != nil {
		return err
	}
	anchors, err := auditsign.Read(strings.NewReader(string(b)))
	if err != nil {
		return err
	}
	pub := af.pubkey
	if pub == "" {
		pub = filepath.Join(c.data, auditsign.PublicFile)
	}
	if raw, err := os.ReadFile(pub); err == nil {
		pub = strings.TrimSpace(string(raw))
	}
	for _, a := range anchors {
		at := time.UnixMilli(a.At).Format(time.RFC3339)
		if err := auditsign.Verify(a, pub); err != nil {
			return exitError{code: 3, msg: fmt.Sprintf("audit anchor seq=%d of %s: %v", a.Seq, at, err)}
		}
		if a.Seq == 0 {
			continue
		}
		if a.Seq > chainLen {
			return exitError{code: 3, msg: fmt.Sprintf("audit chain TRUNCATED: anchor of %s signed seq=%d, the chain has %d records", at, a.Seq, chainLen)}
		}
		h, err := db.AuditHashAt(ctx, a.Seq)
		if err != nil {
			return err
		}
		if h != a.Hash {
			return exitError{code: 3, msg: fmt.Sprintf("audit chain REWRITTEN: record seq=%d no longer has the hash signed at %s", a.Seq, at)}
		}
	}
	fmt.Fprintf(stdout, "%d SM2 anchors verified\n", len(anchors))
	return nil
}
