package telegram

import (
	"context"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
)

const testToken = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"

// TestLibraryErrorsCarryRetryAfterAndNoToken: through the library, a 429
// gives the bot Telegram's retry_after (the poll waits that long), and a
// transport error names the method but not the URL with the token.
func TestLibraryErrorsCarryRetryAfterAndNoToken(t *testing.T) {
	t.Parallel()
	srv := botapitest.Start(t, testToken)
	a, err := newAPI(srv.URL, testToken, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.RateLimitPolls(1, 7)
	_, err = a.getUpdates(context.Background(), 0, 0)
	if got := retryAfter(err); got != 7 {
		t.Fatalf("retryAfter(%v) = %d, want 7", err, got)
	}
	if _, err := a.getUpdates(context.Background(), 0, 0); err != nil {
		t.Fatalf("the poll after the 429: %v", err)
	}

	// A server that is gone: the error must not carry the token.
	dead, err := newAPI("http://127.0.0.1:1", testToken, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dead.getMe(context.Background())
	if err == nil || strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "getMe") {
		t.Fatalf("getMe on a closed port: %v", err)
	}
}
