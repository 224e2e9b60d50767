# shiftkey kiosk, Simplified Chinese. The messages and their comments are in en/kiosk.ftl.

## The sign-in screen

sign-in-title = 登录
phone-prompt = 请输入手机号码
phone-region-hint = 未加 +国家代码的号码视为：{ $region }
phone-hint = Enter：发送验证码   Esc：清除
phone-language-hint = { $key }：语言
phone-sending = 正在发送验证码…
phone-retrying = { $seconds } 秒后重试…
phone-cancel-hint = Esc：取消
region-name = { $code ->
    [US] 美国
    [CA] 加拿大
    [MX] 墨西哥
    [BR] 巴西
    [GB] 英国
    [IE] 爱尔兰
    [FR] 法国
    [DE] 德国
    [ES] 西班牙
    [PT] 葡萄牙
    [IT] 意大利
    [NL] 荷兰
    [BE] 比利时
    [CH] 瑞士
    [AT] 奥地利
    [PL] 波兰
    [SE] 瑞典
    [VN] 越南
    [CN] 中国
    [IN] 印度
    [AU] 澳大利亚
    [NO] 挪威
    [DK] 丹麦
    [FI] 芬兰
    [NZ] 新西兰
    [JP] 日本
    [ZA] 南非
    [SG] 新加坡
   *[other] { $code }
}

## Why a number was not taken

error-digits-only = 只能输入数字（其他国家请加 +）
error-phone-empty = 请输入电话号码
error-phone-too-long = 太长了，不是电话号码
error-phone-not-a-number = 这不是电话号码：请输入数字，开头可加 +
error-phone-invalid = 不是有效的手机号码（{ $region }）
error-phone-unknown-region = 未知的地区代码：{ $code }
error-phone-not-mobile = { $kind ->
    [toll-free] 免费电话号码无法接收验证码
    [premium-rate] 付费增值号码无法接收验证码
    [shared-cost] 分摊付费号码无法接收验证码
    [fixed-line] 固定电话无法接收验证码
   *[other] 该号码无法接收验证码
}
error-number-refused = 登录服务拒绝了此号码
error-rate-limited = 尝试次数过多，请 { $seconds } 秒后再试
error-service-problem = 登录服务出现问题，请重试
error-session-failed = 无法启动会话：{ $error }
service-unreachable = 无法连接登录服务，请重试
store-busy = 本店当前登录过于频繁，请 { $minutes } 分钟后再试

## The code screen

code-prompt = 请输入发送到 { $phone } 的 { $length } 位验证码
code-prompt-called = 请输入电话播报到 { $phone } 的 { $length } 位验证码
code-on-its-way = 如果此号码已注册，验证码正在发送中
code-wrong = 验证码不正确，还可尝试 { $attempts_left } 次
code-expired = 验证码已过期。按 Enter 获取新验证码
code-too-many = 错误次数过多。按 Enter 获取新验证码
code-resent = 已向您发送新验证码
code-rate-limited = 请求过多，请等待 { $seconds } 秒
code-rejected = 验证码无效，请重试
code-untrusted = 无法核实登录服务的响应，请告知店长
code-checking = 正在验证…
code-resending = 正在发送新验证码…
code-expires-in = 验证码将在 { $time } 后过期
code-resend-hint = 没收到？按 R 重新发送
code-resend-wait = { $time } 后可重新发送
code-back-hint = Esc：更换号码

## Signing in and out

welcome = 欢迎，{ $name }
welcome-starting = 正在启动会话…
signing-out = 正在退出并清除会话…
signed-out = 已退出，您的会话已清除
access-ended = 您的组织已终止您的访问权限
sign-out-problem = 退出后仍有残留（{ $processes } 个进程，{ $dir_removed ->
    [yes] 文件夹已删除
   *[no] 文件夹未删除
}），请告知店长

## The session

status-sign-out = { $key } 退出
time-left-minutes = 剩余 { $minutes } 分钟
time-left-hours = 剩余 { $hours } 小时 { $minutes } 分
idle-title = 您还在吗？
idle-countdown = { $seconds } 秒后退出登录
idle-stay = 按任意键保持登录

## Out of service

locked-title = 暂停服务
locked-hint = 登录已关闭。店长可以重新开启（{ $key }）。
lock-preset-out-of-service = 暂停服务
lock-preset-cleaning = 清洁中，暂停使用
lock-preset-back-soon = 15 分钟后回来
out-of-service-audit-log = 暂停服务 — 审计日志不可用
out-of-service-state-dir = 暂停服务 — 无法保存会话记录
audit-log-unwritable = 无法写入审计日志：{ $error }
state-dir-unwritable = 无法写入会话记录：{ $error }
out-of-service-until-writable = 一旦可以写入，登录将自动恢复。

## Touch: the keypad and buttons beside a sign-in form

keypad-enter = 确定
touch-new-code = 重新发送
touch-change-number = 更换号码
touch-language = 语言
touch-plus = + 国家代码

## The language list

language-title = 语言
menu-hint = ↑↓ 选择 · Enter 确认 · Esc 关闭

## The manager screens

manager-badge = 店长
manager-footer = { $key } 关闭 · 闲置 { $seconds } 秒后自动关闭
manager-close = { $key } 关闭
manager-sign-in = 店长登录
manager-refused = 此号码不属于店长
manager-refused-hint = 未做任何更改。按任意键继续。
manager-signed-in = 已登录：{ $name }
menu-end-session = 结束并清除当前会话（{ $owner }）
menu-end-session-none = 结束当前会话（无会话）
menu-lock = 锁定（暂停服务）
menu-unlock = 解锁（当前：“{ $message }”）
menu-unlock-none = 解锁（未锁定）
menu-events = 最近事件
menu-back = 返回
manager-lock-title = 锁定：暂停服务时显示的消息
manager-lock-own = 自定义：{ $text }
manager-lock-hint = ↑↓ 选择 · 输入自定义 · Enter 锁定 · Esc 返回
manager-events-title = 最近事件（最新在前）
manager-events-empty = 暂无事件记录
manager-events-hint = ↑↓ PgUp PgDn 滚动 · Esc 返回

## The demo

demo-banner = 演示 — 会话以 { $user } 身份运行（沙箱：{ $sandbox }）；验证码发送到演示手机 →
demo-phone-title = 演示手机
demo-phone-intro = 演示发送的短信
demo-phone-empty = 暂无消息
demo-phone-to = 发送至 { $phone }

## Errors in words, and the screen-reader layout

error-label = 错误：{ $message }
field-phone = 手机号码：
field-code = 验证码：
code-expires-in-minutes = 验证码将在 { $minutes } 分钟后过期。

## A terminal too small for the kiosk

too-small = 终端太小
too-small-size = 需要 { $need }，当前 { $have }

## The step-away lock (keys.lock)
status-lock = { $key } 锁定
pin-choose-title = 锁定您的会话
pin-choose-intro = 请选择 4 到 6 位数字的 PIN 码，然后按 Enter。回来时需要用到它。
pin-choose-again = 请再次输入相同的 PIN 码，然后按 Enter。
pin-field = PIN：{ $digits }
pin-choose-keys = Esc 返回会话 · { $key } 退出
pin-too-short = PIN 码至少 4 位数字。
pin-trivial = 这个 PIN 码太容易被猜到，请另选一个。
pin-mismatch = 两次输入的 PIN 码不一致，请重新选择。
pin-locked-title = 已由 { $name } 锁定 — 请输入您的 PIN 码
pin-checking = 正在核对 PIN 码…
pin-wrong = PIN 码错误。还剩 { $attempts } 次机会，之后将退出登录。
pin-signs-out-in = { $time }后自动退出登录。
pin-seconds = { $seconds } 秒
pin-minutes = { $minutes } 分钟
pin-locked-keys = Enter 解锁 · { $key } 不是您？请登录

## The code screen's ways on, when the code is slow to come
way-new-code = 短信发送新验证码
way-call-me = 打电话告诉我验证码
way-ask-manager = 请门店经理帮忙
still-waiting = 还在等验证码吗？
# $digits: the last four digits of the number the code went to
still-waiting-check = 请检查尾号为 { $digits } 的手机已开机且有信号。或者：
code-calling = 我们正在给您打电话，播报新的验证码

## Temporary access passes: the worker's field on the code screen, the manager's "Issue a one-time pass"

pass-use = 使用店长给的临时通行码
pass-back = 返回验证码
pass-offer-hint = P：使用店长给的临时通行码
# $phone: the number, masked.
pass-prompt = 输入店长为 { $phone } 签发的临时通行码
# $length: the pass's characters (10).
pass-hint = { $length } 位字母和数字；不区分大小写，短横线可省略
pass-hint-exact = { $length } 个字符；区分大小写
field-pass = 通行码：
pass-rejected = 该通行码无效 — 请与店长核对
pass-checking = 正在核对通行码…
pass-back-hint = Esc：返回验证码
menu-issue-pass = 签发一次性通行码
manager-pass-title = 签发一次性通行码
manager-pass-prompt = 员工的手机号：员工用它和通行码登录
manager-pass-issuing = 正在签发通行码…
# $name: the worker's display name.
manager-pass-for = { $name } 的一次性通行码
manager-pass-valid = 仅可使用一次，{ $minutes } 分钟内有效。只显示这一次：请读给员工或让其抄下。
manager-pass-done-hint = Enter 或 Esc：完成（通行码随即从屏幕清除）
manager-pass-no-user = 可在此登录的人中没有这个号码
manager-pass-refused = 登录服务未签发通行码
