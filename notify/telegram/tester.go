package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
)

// Tester is the Telegram "send test message" button: one message now to
// every admin chat, with the stored tg* settings or those the form posts,
// whether or not the bot is enabled or running. It talks to the Bot API
// itself rather than through the running bot, so an admin can check a
// token before turning the bot on.
type Tester struct {
	db      *database.Handle
	node    *cluster.Node
	timeout time.Duration
}

// NewTester bounds each test (getMe and the messages) by timeout.
func NewTester(db *database.Handle, node *cluster.Node, timeout time.Duration) *Tester {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &Tester{db: db, node: node, timeout: timeout}
}

// TestResult is what the test route answers on success.
type TestResult struct {
	Bot   string  `json:"bot"`   // the bot's username, as getMe names it
	Chats []int64 `json:"chats"` // the admin chats that got the message
}

// SendTest sends a test message now. posted are tg* settings to use
// instead of the stored ones (unsaved form values; the token's mask keeps
// the stored token); each is checked like a save. A failure is an error
// naming the setting to fix (400); nothing is stored either way.
func (t *Tester) SendTest(ctx context.Context, posted map[string]any) (TestResult, error) {
	if err := t.node.RequireMaster(); err != nil {
		return TestResult{}, err
	}
	conn, err := t.db.DB()
	if err != nil {
		return TestResult{}, err
	}
	// The settings a test message depends on.
	v, err := settings.ReadStrings(conn.WithContext(ctx), "tgBotToken", "tgBotChatId", "tgBotProxy", "tgBotAPIServer", "tgLang")
	if err != nil {
		return TestResult{}, err
	}
	for key, val := range posted {
		if !strings.HasPrefix(key, "tg") {
			return TestResult{}, errs.Invalid(key, "is not a Telegram setting (tg...)")
		}
		if key == "tgBotToken" {
			if s, _ := val.(string); strings.TrimSpace(s) == settings.MaskTgToken(v[key]) && v[key] != "" {
				continue // the form posted back the mask it read
			}
		}
		norm, err := settings.CheckSetting(key, val)
		if err != nil {
			return TestResult{}, err
		}
		if _, used := v[key]; used {
			v[key] = norm
		}
		// The other tg* settings (schedule, thresholds) do not matter here.
	}
	token := strings.TrimSpace(v["tgBotToken"])
	if token == "" {
		return TestResult{}, errs.Invalid("tgBotToken", "is empty: paste the token BotFather gave")
	}
	chats, err := settings.ParseTgChatIDs(v["tgBotChatId"])
	if err != nil {
		return TestResult{}, errs.Invalid("tgBotChatId", "%v", err)
	}
	if len(chats) == 0 {
		return TestResult{}, errs.Invalid("tgBotChatId", "names no chat: add your user id (the bot's /id command answers it)")
	}
	proxy := strings.TrimSpace(v["tgBotProxy"])
	api, err := newAPI(strings.TrimSpace(v["tgBotAPIServer"]), token, proxy, nil)
	if errors.Is(err, telego.ErrInvalidToken) || errors.Is(err, telego.ErrEmptyToken) {
		return TestResult{}, errs.Invalid("tgBotToken", "is not a bot token (digits, a colon, then letters): %v", err)
	}
	if err != nil {
		return TestResult{}, errs.Invalid("tgBotProxy", "%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	me, err := api.getMe(ctx)
	if err != nil {
		return TestResult{}, testError(err, proxy, "tgBotToken")
	}
	text := tr(v["tgLang"], "testMessage")
	res := TestResult{Bot: me.Username}
	for _, id := range chats {
		if _, err := api.sendMessage(ctx, id, text, nil); err != nil {
			return TestResult{}, testError(err, proxy, "tgBotChatId", fmt.Sprintf("chat %d: ", id))
		}
		res.Chats = append(res.Chats, id)
	}
	return res, nil
}

// testError names the setting behind a failed call: a Bot API refusal is
// the token's (getMe) or the chat's (sendMessage); no answer at all is
// the proxy's when one is set, else the API server's.
func testError(err error, proxy, refusedBy string, prefix ...string) error {
	var apiErr *ta.Error
	if errors.As(err, &apiErr) {
		field := refusedBy
		if apiErr.ErrorCode == http.StatusUnauthorized || apiErr.ErrorCode == http.StatusNotFound {
			field = "tgBotToken" // a wrong token is 401 (or 404 on some servers) to any method
		}
		return errs.Invalid(field, "%sthe Bot API refused it: %d %s", strings.Join(prefix, ""), apiErr.ErrorCode, apiErr.Description)
	}
	if proxy != "" {
		return errs.Invalid("tgBotProxy", "the Bot API did not answer through the proxy: %v", err)
	}
	return errs.Invalid("tgBotAPIServer", "the Bot API did not answer: %v", err)
}
