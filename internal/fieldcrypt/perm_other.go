//go:build !unix

package fieldcrypt

import "io/fs"

// checkPrivate is a no-op where Unix permission bits do not exist; protect
// the file with the platform's ACLs instead.
func checkPrivate(fs.FileInfo, string) error { return nil }

// syncDir is a no-op where directories cannot be synced.
func syncDir(string) error { return nil }
