//go:build unix

package fieldcrypt

import (
	"fmt"
	"io/fs"
	"os"
)

// checkPrivate refuses a key file that group or others may read or write:
// readable leaks every sealed value, writable lets someone swap the key.
func checkPrivate(fi fs.FileInfo, path string) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("key file %s has mode %04o, so other users can access it; restrict it with: chmod 600 %s", path, perm, path)
	}
	return nil
}

// syncDir makes the new directory entry durable, so a crash right after
// first start-up cannot lose the key while keeping data sealed with it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
