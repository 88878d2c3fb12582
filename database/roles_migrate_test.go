package database

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// preRolesUser is the users table before roles: one admin who could do
// everything.
type preRolesUser struct {
	Id       int    `gorm:"primaryKey;autoIncrement"`
	Username string `gorm:"size:255;uniqueIndex"`
	Password string
}

func (preRolesUser) TableName() string { return "users" }

// preRolesToken is api_tokens before roles and scopes (a v3 token's row).
type preRolesToken struct {
	Id      int    `gorm:"primaryKey;autoIncrement"`
	UserId  int    `gorm:"index"`
	Name    string `gorm:"size:100"`
	Token   string `gorm:"column:token;size:64;uniqueIndex"`
	Enabled bool   `gorm:"not null;default:false"`
}

func (preRolesToken) TableName() string { return "api_tokens" }

// A database from before roles keeps working with full access: its users
// become owners and its tokens owner tokens without a scope, and the
// client_owners table appears empty.
func TestMigrateToRoles(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		conn := openRaw(t, b)
		if err := conn.AutoMigrate(&preRolesUser{}, &preRolesToken{}); err != nil {
			t.Fatal(err)
		}
		if err := conn.Create(&preRolesUser{Username: "boss", Password: "x"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := conn.Create(&preRolesToken{Name: "v3", Token: "ab", Enabled: true}).Error; err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := Migrate(conn); err != nil {
				t.Fatalf("migrate (run %d): %v", i+1, err)
			}
		}
		var u model.User
		if err := conn.Where("username = ?", "boss").First(&u).Error; err != nil {
			t.Fatal(err)
		}
		if u.Role != "owner" || u.MaxClients != 0 || u.MaxTrafficBytes != 0 {
			t.Fatalf("existing user after migration: role %q, allowance %d/%d", u.Role, u.MaxClients, u.MaxTrafficBytes)
		}
		var tok model.APIToken
		if err := conn.Where("name = ?", "v3").First(&tok).Error; err != nil {
			t.Fatal(err)
		}
		if tok.Role != "owner" || tok.ScopeKind != "" || tok.ScopeID != 0 || !tok.Enabled {
			t.Fatalf("existing token after migration: %+v", tok)
		}
		var n int64
		if err := conn.Model(&model.ClientOwner{}).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("client_owners: %d rows, %v", n, err)
		}
	})
}

// x-ui setting's credential reset is the way back in from the shell: it
// makes the first admin an owner again.
func TestSetAdminCredentialsRestoresOwner(t *testing.T) {
	conn, err := OpenSQLite(t.TempDir() + "/x.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeConn(conn) })
	if err := Migrate(conn); err != nil {
		t.Fatal(err)
	}
	if err := conn.Model(&model.User{}).Where("1 = 1").Update("role", "viewer").Error; err != nil {
		t.Fatal(err)
	}
	if err := SetAdminCredentials(conn, "", "recovered-1"); err != nil {
		t.Fatal(err)
	}
	var u model.User
	if err := conn.Order("id").First(&u).Error; err != nil {
		t.Fatal(err)
	}
	if u.Role != "owner" || !CheckPassword(u.Password, "recovered-1") {
		t.Fatalf("after the reset: role %q", u.Role)
	}
}
