package notify

import "os"

// Ways a backup reaches its reader (backup.done's "via").
const (
	BackupViaTelegram = "telegram"
	BackupViaDownload = "download"
)

// BackupDone records backup.done after a database backup was made and
// handed over: sent to a Telegram admin chat or served as a download.
// file is the backup's file name, path where it was made (its size is
// read from there), to the chat id or the requesting IP.
func (r *Recorder) BackupDone(via, file, path, to string) {
	if r == nil {
		return
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	r.Emit(BackupDone, map[string]any{"via": via, "file": file, "bytes": size, "to": to})
}
