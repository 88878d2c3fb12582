package settings

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/robfig/cron/v3"
)

// tgTokenPattern is the Bot API token BotFather issues: the bot's numeric
// id, a colon and 35 URL-safe characters.
var tgTokenPattern = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{35}$`)

// tgTokenMaskPattern is MaskTgToken's output: never a real token.
var tgTokenMaskPattern = regexp.MustCompile(`^[0-9]{1,20}:\*{35}$`)

// MaskTgToken shows a bot token without its secret: the bot id stays, so
// an admin sees which bot is set. setting/all answers it masked; a write
// of the mask keeps the stored token (a settings form posts back what it
// read).
func MaskTgToken(token string) string {
	id, _, ok := strings.Cut(token, ":")
	if !ok {
		return ""
	}
	return id + ":" + strings.Repeat("*", 35)
}

func checkTgToken(c checkEnv, key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if tgTokenMaskPattern.MatchString(v) {
		// Read the row directly: ReadString goes through settingDefs,
		// which holds this check.
		var rows []model.Setting
		if err := c.tx.Where(settingKeyIs(key)).Limit(1).Find(&rows).Error; err != nil {
			return "", err
		}
		if len(rows) == 1 && MaskTgToken(rows[0].Value) == v {
			return rows[0].Value, nil
		}
	}
	if v != "" && !tgTokenPattern.MatchString(v) {
		return "", errs.Invalid(key, "is not a Telegram bot token (<bot id>:<35 letters, digits, '_' or '-'>)")
	}
	return v, nil
}

// checkTgChatIDs stores a comma list of chat ids (user ids are positive,
// groups negative) without spaces.
func checkTgChatIDs(_ checkEnv, key, v string) (string, error) {
	ids, err := ParseTgChatIDs(v)
	if err != nil {
		return "", errs.Invalid(key, "%v", err)
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ","), nil
}

// ParseTgChatIDs reads tgBotChatId: integers separated by commas, spaces
// allowed, empty entries ignored.
func ParseTgChatIDs(v string) ([]int64, error) {
	var ids []int64
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id == 0 {
			return nil, errs.Invalid("tgBotChatId", "%q is not a chat id (a comma list of integers)", part)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func checkTgAPIServer(_ checkEnv, key, v string) (string, error) {
	return checkURLSchemes(key, v, "http", "https")
}

// checkTgProxy: v3 takes socks5 and http(s) proxies for the bot.
func checkTgProxy(_ checkEnv, key, v string) (string, error) {
	return checkURLSchemes(key, v, "socks5", "socks5h", "http", "https")
}

func checkURLSchemes(key, v string, schemes ...string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return v, nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", errs.Invalid(key, "%q is not a URL with a host", v)
	}
	for _, s := range schemes {
		if strings.EqualFold(u.Scheme, s) {
			return strings.TrimRight(v, "/"), nil
		}
	}
	return "", errs.Invalid(key, "%q must be a %s URL", v, strings.Join(schemes, "/"))
}

// ParseTgRunTime reads tgRunTime as 3x-ui does (robfig/cron with
// seconds); the seconds field may be left out, and descriptors (@daily,
// @every 6h) are taken.
func ParseTgRunTime(v string) (cron.Schedule, error) {
	p := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	return p.Parse(strings.TrimSpace(v))
}

func checkTgRunTime(_ checkEnv, key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if _, err := ParseTgRunTime(v); err != nil {
		return "", errs.Invalid(key, "%q is not a schedule (cron fields or @daily, @hourly, @every 6h): %v", v, err)
	}
	return v, nil
}

// tgLangPattern is a language tag as v3 stores it (en-US, zh-CN, ru-RU):
// v3's other languages are kept so an upgraded install saves its
// settings; the bot speaks zh-CN and answers English for the rest.
var tgLangPattern = regexp.MustCompile(`^[a-z]{2}-[A-Z]{2}$`)

func checkTgLang(_ checkEnv, key, v string) (string, error) {
	if !tgLangPattern.MatchString(v) {
		return "", errs.Invalid(key, "%q is not a language tag like en-US or zh-CN", v)
	}
	return v, nil
}
