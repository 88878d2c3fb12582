package telegram_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// longKey is the bot's key for callback data over the Bot API's 64 bytes.
func longKey(data string) string {
	sum := sha256.Sum256([]byte(data))
	return "#" + hex.EncodeToString(sum[:16])
}

// A client with a Unicode email (3x-ui v3 allows them) is found by
// /usage, shown on its card, and acted on through buttons whose callback
// data (over 64 bytes in UTF-8) the bot keeps as short keys.
func TestBotUnicodeEmail(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		ins := inbound.New(db, nil)
		const email = "ирина-очень-длинное-имя@пример.рф"
		c := inboundtest.Client(model.VLESS, email)
		c["subId"] = "unicode0001" // the helper derives it from the email; subIds stay ASCII
		in := inboundtest.Inbound(model.VLESS, freePorts(t, 1)[0], c)
		in.Remark = "tg-unicode"
		if _, err := ins.AddInbound(in); err != nil {
			t.Fatal(err)
		}
		h := startHarness(t, db, ins, "en-US")
		if err := db.Current().Model(&xray.ClientTraffic{}).Where("email = ?", email).Updates(map[string]any{"up": 100, "down": 200}).Error; err != nil {
			t.Fatal(err)
		}
		card := h.ask(adminChat, "/usage "+email)
		wantText(t, card, email, "tg-unicode")
		reset := longKey("reset_traffic " + email)
		wantButtons(t, card, reset)
		ask := h.press(adminChat, card.MessageID, reset, "editMessageText")
		confirm := longKey("reset_traffic_c " + email)
		wantButtons(t, ask, confirm)
		h.settle(adminChat, card.MessageID, confirm)
		if r := h.row(email); r.Up != 0 || r.Down != 0 {
			t.Errorf("after reset through the bot: up %d down %d", r.Up, r.Down)
		}
	})
}
