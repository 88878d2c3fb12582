package upgrade3xui

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// backup copies the database (and a WAL left by an unclean stop) next to
// it. Each copy is streamed to a temp file, fsynced and renamed, so a
// crash leaves a complete copy or none; the WAL goes first because the
// main copy's presence marks the backup as done.
func backup(path, dst string) error {
	for _, suffix := range []string{"-wal", ""} {
		if _, err := os.Stat(path + suffix); suffix != "" && os.IsNotExist(err) {
			continue
		}
		if err := copyFile(path+suffix, dst+suffix); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = io.Copy(tmp, in); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	dir, derr := os.Open(filepath.Dir(dst))
	if derr == nil {
		derr = dir.Sync()
		dir.Close()
	}
	return derr
}
