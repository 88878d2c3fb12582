package database

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// legacyAPIToken is api_tokens as releases before the v3 column names made it.
type legacyAPIToken struct {
	Id         int    `gorm:"primaryKey;autoIncrement"`
	UserId     int    `gorm:"index"`
	Name       string `gorm:"size:100"`
	TokenHash  string `gorm:"size:64;uniqueIndex"`
	Prefix     string `gorm:"size:16"`
	CreatedAt  int64
	LastUsedAt int64
	ExpiresAt  int64 `gorm:"not null;default:0"`
}

func (legacyAPIToken) TableName() string { return "api_tokens" }

// An api_tokens table with token_hash keeps its rows through the migration:
// the hash moves to v3's token column, the row reads as enabled, and the
// old unique index is gone while the new one refuses a duplicate.
func TestMigrateAPITokensFromTokenHash(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		conn := openRaw(t, b)
		if err := conn.AutoMigrate(&legacyAPIToken{}); err != nil {
			t.Fatal(err)
		}
		hash := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
		old := &legacyAPIToken{UserId: 1, Name: "ci", TokenHash: hash, Prefix: "xui_abcdef", CreatedAt: 1_700_000_000, ExpiresAt: 1_900_000_000}
		if err := conn.Create(old).Error; err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // the second run must change nothing
			if err := Migrate(conn); err != nil {
				t.Fatalf("migrate (run %d): %v", i+1, err)
			}
		}
		m := conn.Migrator()
		if m.HasColumn(&model.APIToken{}, "token_hash") || m.HasIndex(&model.APIToken{}, "idx_api_tokens_token_hash") {
			t.Fatal("token_hash column or its index survived the migration")
		}
		var rec model.APIToken
		if err := conn.First(&rec, old.Id).Error; err != nil {
			t.Fatal(err)
		}
		if rec.Token != hash || !rec.Enabled || rec.Name != "ci" || rec.UserId != 1 || rec.ExpiresAt != 1_900_000_000 || rec.CreatedAt != 1_700_000_000 {
			t.Fatalf("row changed by the migration: %+v", rec)
		}
		if err := conn.Create(&model.APIToken{Name: "dup", Token: hash, Enabled: true}).Error; err == nil {
			t.Fatal("a second row with the same token hash was accepted")
		}
	})
}

// openRaw opens backend b without the panel's migration, for tests that
// build an older schema first; it is closed when the test ends.
func openRaw(t *testing.T, b dbtest.Backend) *gorm.DB {
	t.Helper()
	var conn *gorm.DB
	var err error
	if b.Config.Type == config.DBTypeMariaDB {
		conn, err = OpenMariaDB(b.Config)
	} else {
		conn, err = OpenSQLite(b.SQLitePath)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeConn(conn) })
	return conn
}
