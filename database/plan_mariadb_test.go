package database

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestPlanTestsOnMariaDB runs the user's plan tests, unchanged, on MariaDB.
func TestPlanTestsOnMariaDB(t *testing.T) {
	dbtest.RerunOnMariaDB(t, "TestInitDB_CreatesSharedMetadataTables", "TestBumpSharedAccountsVersion", "TestUpsertNodeState")
}
