package database

import (
	"errors"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
)

// RetryOnDeadlock reruns fn (a whole transaction) when MariaDB picked it as
// a deadlock victim or timed out on a lock: the counters were already read
// from Xray, so giving up would lose them.
func RetryOnDeadlock(fn func() error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = fn(); !isLockConflict(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
	return err
}

func isLockConflict(err error) bool {
	var myErr *mysqldriver.MySQLError
	return errors.As(err, &myErr) && (myErr.Number == 1213 || myErr.Number == 1205)
}
