package xray

// SupportsLiveUsers reports whether users of this inbound protocol can be
// added and removed through HandlerService.AlterInbound.
func SupportsLiveUsers(protocol string) bool {
	switch protocol {
	case "vless", "vmess", "trojan", "shadowsocks":
		return true
	}
	return false
}
