package auth

import (
	"errors"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"golang.org/x/crypto/bcrypt"
)

func TestUserServiceLoginAndUpdate(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		s := NewUsers(h, nil)
		first, err := s.GetFirstUser()
		if err != nil || first.Username != "admin" {
			t.Fatalf("first user %+v %v", first, err)
		}
		if def, _ := s.HasDefaultCredential(); !def {
			t.Fatal("seeded admin/admin should count as default")
		}
		if u, err := s.CheckUser("admin", "admin"); err != nil || u.Id != first.Id {
			t.Fatalf("admin/admin login: %v", err)
		}
		for _, c := range [][2]string{{"admin", "wrong"}, {"nobody", "admin"}, {"ADMIN", "admin"}} {
			if u, err := s.CheckUser(c[0], c[1]); !errors.Is(err, ErrInvalidCredentials) || u != nil {
				t.Fatalf("CheckUser(%q,%q) = %v, %v", c[0], c[1], u, err)
			}
		}

		before := testdb.DumpOf(t, h.Current())
		errstest.Want(t, s.UpdateUser(first.Id, "", "password1"), errs.KindInvalid, "username")
		errstest.Want(t, s.UpdateUser(first.Id, " padded", "password1"), errs.KindInvalid, "username")
		errstest.Want(t, s.UpdateUser(first.Id, "root", ""), errs.KindInvalid, "password")
		// Issue 10 finding 10: shorter than 8 is refused with a clear message.
		errstest.Want(t, s.UpdateUser(first.Id, "root", "1234567"), errs.KindInvalid, "password")
		errstest.Want(t, s.UpdateUser(first.Id, "admin", "admin"), errs.KindInvalid, "password")
		errstest.Want(t, s.UpdateUser(999, "root", "password1"), errs.KindNotFound, "id")
		hash, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
		if err := h.Current().Create(&model.User{Username: "other", Password: string(hash)}).Error; err != nil {
			t.Fatal(err)
		}
		errstest.Want(t, s.UpdateUser(first.Id, "other", "password1"), errs.KindConflict, "username")
		h.Current().Where("username = ?", "other").Delete(&model.User{})
		testdb.AssertUnchangedOf(t, h.Current(), before)

		if err := s.UpdateUser(first.Id, "root", "s3cret-pass"); err != nil {
			t.Fatal(err)
		}
		if def, _ := s.HasDefaultCredential(); def {
			t.Fatal("changed credentials still flagged default")
		}
		if u, err := s.CheckUser("root", "s3cret-pass"); err != nil || u.DefaultCredential {
			t.Fatalf("new login: %+v %v", u, err)
		}
	})
}
