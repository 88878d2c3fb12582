package telegram

import (
	"slices"
	"strings"
	"testing"
)

// TestTextsEnglishAndChineseMatch: every text has both languages, with
// the same format verbs, so no zh-CN answer falls back to English or
// prints a %!d.
func TestTextsEnglishAndChineseMatch(t *testing.T) {
	en, zh := texts["en-US"], texts["zh-CN"]
	verbs := func(s string) []string {
		var out []string
		for i := 0; i < len(s)-1; i++ {
			if s[i] == '%' {
				out = append(out, s[i:i+2])
				i++
			}
		}
		return out
	}
	for k, v := range en {
		z, ok := zh[k]
		if !ok {
			t.Errorf("zh-CN lacks %q", k)
			continue
		}
		if !slices.Equal(verbs(v), verbs(z)) {
			t.Errorf("%q: en %v, zh %v", k, verbs(v), verbs(z))
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("en-US lacks %q", k)
		}
	}
	if !strings.Contains(tr("fa-IR", "id", 1), "Your id") {
		t.Error("a language without its own table should answer in English")
	}
}
