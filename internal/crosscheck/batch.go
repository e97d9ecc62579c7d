package crosscheck

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"

	"dibao/internal/errs"
)

// BatchAdapter exchanges requests and results as CSV files through two
// directories, the way most counties work with the platform: Submit writes
// Outbox/<request id>.csv for an operator (or a sync job) to upload, and
// Fetch looks for Inbox/<request id>.csv, the downloaded result file, which
// may also hold other requests' results. The ticket is the request id.
//
// Files hold full ID numbers: both directories must be on protected storage
// readable only by the service account, the caller audits each Submit and
// imported result, and removes files once the report is attached. A result
// file should be moved into Inbox complete (copied under another name, then
// renamed), since a half-copied file reads as malformed. All file access is
// confined to the two directories through os.Root, so a ticket can never
// reach another path.
type BatchAdapter struct {
	Outbox string // request files are written here for upload
	Inbox  string // result files downloaded from the platform are placed here
}

var _ Adapter = BatchAdapter{}

// Submit writes the request file atomically (a hidden temporary file, then a
// hard link under the final name) with mode 0600. Submitting the same
// request again is a no-op, so a retried job is safe; a different request
// under an existing request number is a conflict, since the platform may
// already have taken the first file.
func (b BatchAdapter) Submit(ctx context.Context, req Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := WriteRequestCSV(&buf, []Request{req}); err != nil {
		return "", err
	}
	root, err := os.OpenRoot(b.Outbox)
	if err != nil {
		return "", errs.Wrap(err, "无法打开核对请求导出目录，请检查配置")
	}
	defer root.Close()

	name := req.ID + ".csv"
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := "." + req.ID + ".tmp-" + hex.EncodeToString(rnd[:])
	if err := writeNew(root, tmp, buf.Bytes()); err != nil {
		return "", errs.Wrap(err, "写入核对请求文件失败")
	}
	defer func() { _ = root.Remove(tmp) }()

	err = root.Link(tmp, name)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// Some network shares cannot hard-link; renaming is atomic too, only
		// the existence check before it is not.
		if _, serr := root.Lstat(name); errors.Is(serr, fs.ErrNotExist) {
			err = root.Rename(tmp, name)
		} else {
			err = fs.ErrExist
		}
	}
	switch {
	case err == nil:
		return req.ID, nil
	case errors.Is(err, fs.ErrExist):
		old, rerr := root.ReadFile(name)
		if rerr == nil && bytes.Equal(old, buf.Bytes()) {
			return req.ID, nil
		}
		return "", errs.New(errs.Conflict, "id",
			"导出目录中已有请求编号为“"+quote(req.ID)+"”的其他核对请求文件；重新核对请使用新的请求编号")
	}
	return "", errs.Wrap(err, "写入核对请求文件失败")
}

func writeNew(root *os.Root, name string, data []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Fetch reads Inbox/<ticket>.csv. No file yet means not ready (nil error);
// a file that is malformed, or does not answer this request, is an error
// naming every problem. ReceivedAt is the file's modification time, when it
// arrived, so fetching again gives the same report.
func (b BatchAdapter) Fetch(ctx context.Context, ticket string) (Report, bool, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, false, err
	}
	if !validRequestID(ticket) {
		return Report{}, false, errs.Invalidf("ticket", "核对凭证号“%s”无效", quote(ticket))
	}
	root, err := os.OpenRoot(b.Inbox)
	if err != nil {
		return Report{}, false, errs.Wrap(err, "无法打开核对结果导入目录，请检查配置")
	}
	defer root.Close()

	name := ticket + ".csv"
	f, err := root.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return Report{}, false, nil
	}
	if err != nil {
		return Report{}, false, errs.Wrap(err, "读取核对结果文件失败")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Report{}, false, errs.Wrap(err, "读取核对结果文件失败")
	}
	if !fi.Mode().IsRegular() {
		return Report{}, false, errs.Invalidf("file", "核对结果“%s”不是普通文件", quote(name))
	}
	if fi.Size() > MaxResultBytes {
		return Report{}, false, errs.Invalidf("file", "结果文件超过%dMB，请让核对平台分批导出", MaxResultBytes>>20)
	}
	reps, err := ReadResultCSV(f)
	if err != nil {
		return Report{}, false, err
	}
	for _, rep := range reps {
		if rep.RequestID == ticket {
			rep.ReceivedAt = fi.ModTime()
			return rep, true, nil
		}
	}
	return Report{}, false, errs.Invalidf("file", "结果文件“%s”中没有请求“%s”的结果", quote(name), quote(ticket))
}
