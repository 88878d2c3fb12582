package sub

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

// writeHeaders sets the headers subscription apps read.
func (h *Handler) writeHeaders(w http.ResponseWriter, r *http.Request, sub *profile.Subscription) {
	u := sub.Usage
	hd := w.Header()
	hd.Set("Subscription-Userinfo", fmt.Sprintf("upload=%d; download=%d; total=%d; expire=%d", u.Up, u.Down, u.Total, u.Expire))
	hd.Set("Profile-Update-Interval", fmt.Sprint(h.set.Updates))
	hd.Set("Profile-Title", headerText(h.title(sub)))
	if h.set.SupportURL != "" {
		hd.Set("Support-Url", h.set.SupportURL)
	}
	if h.set.ProfileURL != "" {
		hd.Set("Profile-Web-Page-Url", h.set.ProfileURL)
	} else if h.set.ShowInfo {
		// The page this server shows browsers.
		hd.Set("Profile-Web-Page-Url", h.subscriptionURL(r, h.set.URI, h.set.Path, sub.SubID))
	}
	if h.set.Announce != "" {
		hd.Set("Announce", headerText(h.set.Announce))
	}
}

// headerText keeps printable ASCII as is and sends anything else in the
// "base64:" form apps decode.
func headerText(s string) string {
	for _, r := range s {
		if r > unicode.MaxASCII || r < 0x20 || r == 0x7f {
			return "base64:" + base64.StdEncoding.EncodeToString([]byte(s))
		}
	}
	return s
}

// contentDisposition names the downloaded profile: an ASCII fallback and
// the UTF-8 name.
func contentDisposition(title, format string) string {
	ext := map[string]string{FormatLinks: ".txt", FormatJSON: ".json", FormatClash: ".yaml", FormatSingbox: ".json"}[format]
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, title)
	return fmt.Sprintf(`attachment; filename="%s%s"; filename*=UTF-8''%s%s`, ascii, ext, url.PathEscape(title), ext)
}
