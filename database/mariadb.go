package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/mhsanaei/3x-ui/v2/config"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
)

const (
	mariaDialTimeout  = 5 * time.Second
	mariaIOTimeout    = 30 * time.Second
	mariaMaxOpenConns = 20
	mariaMaxIdleConns = 10
	mariaConnLifetime = 5 * time.Minute
)

// MariaDBDSN builds the driver DSN with the driver's own formatter, so a
// password with '@', ':', '/' or '?' needs no hand escaping.
func MariaDBDSN(cfg config.DBConfig) string {
	return mariaDriverConfig(cfg, cfg.Name).FormatDSN()
}

func mariaDriverConfig(cfg config.DBConfig, dbName string) *mysqldriver.Config {
	c := mysqldriver.NewConfig()
	c.User = cfg.User
	c.Passwd = cfg.Password
	c.Net = "tcp"
	c.Addr = net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	c.DBName = dbName
	c.ParseTime = true
	c.AllowNativePasswords = true
	c.Collation = "utf8mb4_unicode_ci"
	c.Params = map[string]string{"charset": "utf8mb4"}
	c.Timeout = mariaDialTimeout
	c.ReadTimeout = mariaIOTimeout
	c.WriteTimeout = mariaIOTimeout
	c.Loc = time.UTC
	switch cfg.TLS {
	case "true", "skip-verify", "preferred":
		c.TLSConfig = cfg.TLS
	}
	return c
}

func mariaAddr(cfg config.DBConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
}

// OpenMariaDB connects with a bounded pool. A missing database is created
// when the account may do so; any failure is one line naming host:port.
func OpenMariaDB(cfg config.DBConfig) (*gorm.DB, error) {
	if err := config.ValidateDBConfig(cfg); err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open("mysql", MariaDBDSN(cfg))
	if err != nil {
		return nil, mariaConnectError(cfg, err)
	}
	err = pingWithTimeout(sqlDB)
	var myErr *mysqldriver.MySQLError
	if errors.As(err, &myErr) && myErr.Number == 1049 { // unknown database
		sqlDB.Close()
		if cerr := createMariaDatabase(cfg); cerr != nil {
			return nil, mariaConnectError(cfg, cerr)
		}
		sqlDB, err = sql.Open("mysql", MariaDBDSN(cfg))
		if err == nil {
			err = pingWithTimeout(sqlDB)
		}
	}
	if err != nil {
		if sqlDB != nil {
			sqlDB.Close()
		}
		return nil, mariaConnectError(cfg, err)
	}
	sqlDB.SetMaxOpenConns(mariaMaxOpenConns)
	sqlDB.SetMaxIdleConns(mariaMaxIdleConns)
	sqlDB.SetConnMaxLifetime(mariaConnLifetime)
	conn, err := gorm.Open(mysql.New(mysql.Config{Conn: sqlDB}), gormConfig())
	if err != nil {
		sqlDB.Close()
		return nil, mariaConnectError(cfg, err)
	}
	return conn, nil
}

func pingWithTimeout(sqlDB *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), mariaDialTimeout+time.Second)
	defer cancel()
	return sqlDB.PingContext(ctx)
}

func createMariaDatabase(cfg config.DBConfig) error {
	sqlDB, err := sql.Open("mysql", mariaDriverConfig(cfg, "").FormatDSN())
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	ctx, cancel := context.WithTimeout(context.Background(), mariaIOTimeout)
	defer cancel()
	// Name is validated by ValidateDBConfig, so quoting with backticks is safe.
	_, err = sqlDB.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+cfg.Name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	return err
}

func mariaConnectError(cfg config.DBConfig, err error) error {
	cause := strings.Join(strings.Fields(err.Error()), " ")
	if strings.Contains(cause, "x509:") || strings.Contains(cause, "tls:") {
		cause += " (dbTLS true checks the server certificate against the system CAs: install the server's CA, point SSL_CERT_FILE at it, or use dbTLS skip-verify on a trusted network)"
	}
	return fmt.Errorf("cannot connect to MariaDB at %s (database %q): %s", mariaAddr(cfg), cfg.Name, cause)
}
