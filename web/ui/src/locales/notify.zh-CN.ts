import type notifyEn from './notify.en'

// 通知页面的文字（简体中文）。
const notifyZh: typeof notifyEn = {
  title: '通知',
  tabs: { telegram: 'Telegram 机器人', email: '邮件', webhooks: 'Webhook', routing: '事件发往何处', log: '投递日志' },
  tg: {
    tgBotEnable: '运行机器人', tgBotEnableHelp: '开启且设置了令牌和管理员聊天后，机器人会回复命令并发送告警。只在主节点运行。',
    tgBotToken: '机器人令牌', tgBotTokenHelp: '@BotFather 给出的令牌：<机器人 ID>:<35 个字母、数字、_ 或 ->。显示为掩码；保留掩码即保留已存的令牌。',
    tgBotChatId: '管理员聊天 ID', tgBotChatIdHelp: '以逗号分隔的 Telegram 用户或群组 ID（群组为负数）。告警发往每一个；机器人的 /id 命令可告诉用户其 ID。',
    tgRunTime: '报告时间', tgRunTimeHelp: '定时报告的发送时间：cron 字段（如 0 8 * * *）或 @daily、@hourly、@every 6h。',
    tgBotBackup: '报告附带数据库备份', tgBotBackupHelp: '备份包含所有设置（包括机器人令牌）：只发给可信的聊天。',
    tgBotLoginNotify: '面板登录失败时告警', tgBotLoginNotifyHelp: '发送每次登录失败（login.failed）。其他告警不受它影响。',
    tgCpu: 'CPU 告警阈值（%）', tgCpuHelp: '0-100。为兼容 3x-ui 而保留；面板尚不发送 CPU 告警。',
    tgMemory: '内存告警阈值（%）', tgMemoryHelp: '0-100。为兼容 3x-ui 而保留；面板尚不发送内存告警。',
    tgLang: '机器人语言', tgLangHelp: '机器人回复和告警的语言。3x-ui 的其他语言标签会保留，并以英文回复。',
    tgBotProxy: '代理', tgBotProxyHelp: '通过 socks5://、socks5h://、http:// 或 https:// 代理访问 Bot API。留空：直连。',
    tgBotAPIServer: 'Bot API 服务器', tgBotAPIServerHelp: '自建的 telegram-bot-api 或镜像（http:// 或 https:// URL）。留空：https://api.telegram.org。',
    test: '发送测试消息', testSent: '@{{bot}} 已向 {{n}} 个聊天发送测试消息。',
    testHelp: '立即用此表单中的值（无论是否已保存）发送一条消息，无论机器人是否在运行。',
  },
  email: {
    smtpEnable: '通过邮件发送告警', smtpEnableHelp: '需要服务器、发件人和收件人。',
    smtpHost: 'SMTP 服务器', smtpHostHelp: '只填主机名或 IP 地址：不含协议和端口。',
    smtpPort: '端口', smtpPortHelp: '1-65535：STARTTLS 通常为 587，TLS 为 465，不加密为 25。',
    smtpEncryptionType: '加密', smtpEncryptionTypeHelp: '服务器证书必须对服务器名有效。除回环地址的服务器外，从不以明文发送密码。',
    smtpUsername: '用户名', smtpUsernameHelp: '留空：不登录。',
    smtpPassword: '密码', smtpPasswordHelp: '显示为 ********；保留即保留已存的密码。',
    smtpFrom: '发件地址', smtpFromHelp: '一个地址，如 alerts@example.com。',
    smtpFromName: '发件人名称', smtpFromNameHelp: 'From: 中显示的名称，如 x-ui。',
    smtpTo: '收件人', smtpToHelp: '以逗号分隔的地址；每个事件给所有收件人发一封邮件。',
    smtpEnabledEvents: '发送邮件的事件', smtpEnabledEventsHelp: '邮件开启时，勾选种类的每个事件发送一封邮件。',
    encNo: '不加密（明文）', encStarttls: 'STARTTLS', encTls: 'TLS',
    test: '发送测试邮件', testSent: '测试邮件已通过 {{server}} 发送给 {{to}}。',
    testHelp: '立即用此表单中的值（无论是否已保存）发送一封邮件；不保存任何内容。',
  },
  hook: {
    add: '添加 Webhook', edit: '编辑 Webhook', url: 'URL', urlHelp: 'http:// 或 https://，带主机；不含用户名、密码或 #片段。',
    secret: '密钥', secretHelp: '16-128 个字符；接收方用它校验每次推送的 X-XUI-Signature。只显示一次。',
    secretEditHelp: '留空则保留当前密钥；输入或生成新密钥以替换。',
    events: '事件', allEvents: '所有事件（包括以后新增的种类）', enabled: '启用', test: '测试', none: '还没有 Webhook。',
    deleteConfirm: '删除 Webhook {{url}}？其待投递的记录将被丢弃。',
    secretOnce: '请立即复制此密钥：它不会再次显示。', allTag: '所有事件',
    testOk: '测试事件已投递到 {{url}}（HTTP {{status}}）。', testFailed: '测试事件未能投递到 {{url}}：{{error}}',
  },
  route: {
    kind: '事件', email: '邮件', telegram: 'Telegram',
    help: '勾选每种事件发往何处。邮件发送勾选的种类；Telegram 发送管理员需要处理的种类，只有登录失败可以开关；每个 Webhook 收到它订阅的种类。',
    always: '机器人开启时总是发送；不可配置。', never: '从不发送到 Telegram。',
    loginSwitch: '由“面板登录失败时告警”控制。', notMailable: '邮件不发送此种类。',
    off: '已关闭', disabledHook: '已停用', save: '保存',
  },
  log: {
    deliveries: '投递', events: '最近事件', kind: '事件', target: '目标', status: '状态', attempts: '尝试次数',
    lastError: '最后错误', nextAttempt: '下次尝试', eventId: '事件 ID', created: '入队时间', delivered: '投递时间',
    autoRefresh: '自动刷新', node: '节点', time: '时间', payload: '内容', allTargets: '所有目标', allStatuses: '所有状态',
    pending: '待投递', deliveredStatus: '已投递', failed: '失败', email: '邮件', telegram: 'Telegram',
  },
  kinds: {
    clientDepleted: '客户端流量已耗尽', clientExpired: '客户端已过期', loginFailed: '面板登录失败', xrayCrashed: 'Xray 已崩溃',
    xrayRecovered: 'Xray 已恢复', nodeStale: '节点停止上报', nodeBack: '节点已恢复', test: '测试',
  },
}
export default notifyZh
