# shiftkey kiosk, Vietnamese. The messages and their comments are in en/kiosk.ftl.

## The sign-in screen

sign-in-title = Đăng nhập
phone-prompt = Nhập số điện thoại di động
phone-region-hint = số không có +mã quốc gia: { $region }
phone-hint = Enter: gửi mã cho tôi   Esc: xóa
phone-language-hint = { $key }: Ngôn ngữ
phone-sending = Đang gửi mã…
phone-retrying = Thử lại sau { $seconds } giây…
phone-cancel-hint = Esc: hủy
region-name = { $code ->
    [US] Hoa Kỳ
    [CA] Canada
    [MX] Mexico
    [BR] Brazil
    [GB] Vương quốc Anh
    [IE] Ireland
    [FR] Pháp
    [DE] Đức
    [ES] Tây Ban Nha
    [PT] Bồ Đào Nha
    [IT] Ý
    [NL] Hà Lan
    [BE] Bỉ
    [CH] Thụy Sĩ
    [AT] Áo
    [PL] Ba Lan
    [SE] Thụy Điển
    [VN] Việt Nam
    [CN] Trung Quốc
    [IN] Ấn Độ
    [AU] Úc
    [NO] Na Uy
    [DK] Đan Mạch
    [FI] Phần Lan
    [NZ] New Zealand
    [JP] Nhật Bản
    [ZA] Nam Phi
    [SG] Singapore
   *[other] { $code }
}

## Why a number was not taken

error-digits-only = Chỉ nhập chữ số (và dấu + cho nước khác)
error-phone-empty = Hãy nhập số điện thoại
error-phone-too-long = Quá dài để là số điện thoại
error-phone-not-a-number = Đây không phải số điện thoại: dùng chữ số và dấu + ở đầu
error-phone-invalid = Không phải số di động hợp lệ của { $region }
error-phone-unknown-region = Mã vùng không rõ: { $code }
error-phone-not-mobile = { $kind ->
    [toll-free] Số miễn cước không nhận được mã
    [premium-rate] Số dịch vụ giá cao không nhận được mã
    [shared-cost] Số chia sẻ cước không nhận được mã
    [fixed-line] Số cố định không nhận được mã
   *[other] Số này không nhận được mã
}
error-number-refused = Dịch vụ đăng nhập đã từ chối số này
error-rate-limited = Quá nhiều lần thử — thử lại sau { $seconds } giây
error-service-problem = Dịch vụ đăng nhập gặp sự cố — hãy thử lại
error-session-failed = Không thể bắt đầu phiên: { $error }
service-unreachable = Không kết nối được dịch vụ đăng nhập — hãy thử lại
store-busy = Cửa hàng này có quá nhiều lượt đăng nhập — thử lại sau { $minutes } phút

## The code screen

code-prompt = Nhập mã { $length } chữ số đã gửi tới { $phone }
code-prompt-called = Nhập mã { $length } chữ số đã đọc qua cuộc gọi tới { $phone }
code-on-its-way = Nếu số này đã đăng ký, mã đang được gửi tới
code-wrong = Mã không đúng — còn { $attempts_left } lần thử
code-expired = Mã đã hết hạn. Nhấn Enter để nhận mã mới
code-too-many = Sai quá nhiều lần. Nhấn Enter để nhận mã mới
code-resent = Đã gửi mã mới cho bạn
code-rate-limited = Quá nhiều yêu cầu — chờ { $seconds } giây
code-rejected = Mã đó không dùng được — hãy thử lại
code-untrusted = Không kiểm tra được phản hồi của dịch vụ — báo quản lý
code-checking = Đang kiểm tra…
code-resending = Đang gửi mã mới…
code-expires-in = Mã hết hạn sau { $time }
code-resend-hint = Chưa nhận được? Nhấn R để gửi mã mới
code-resend-wait = Có thể gửi mã mới sau { $time }
code-back-hint = Esc: đổi số

## Signing in and out

welcome = Xin chào, { $name }
welcome-starting = Đang bắt đầu phiên làm việc…
signing-out = Đang đăng xuất và xóa phiên…
signed-out = Đã đăng xuất — phiên của bạn đã được xóa
access-ended = Tổ chức của bạn đã chấm dứt quyền truy cập
sign-out-problem = Đăng xuất còn sót lại ({ $processes } tiến trình, { $dir_removed ->
    [yes] đã xóa thư mục
   *[no] chưa xóa thư mục
}) — báo quản lý

## The session

status-sign-out = { $key } đăng xuất
time-left-minutes = còn { $minutes } phút
time-left-hours = còn { $hours } giờ { $minutes } phút
idle-title = Bạn còn đó không?
idle-countdown = Đăng xuất sau { $seconds } giây
idle-stay = Nhấn phím bất kỳ để tiếp tục

## Out of service

locked-title = Tạm ngưng phục vụ
locked-hint = Đăng nhập đang đóng. Quản lý cửa hàng có thể mở lại ({ $key }).
lock-preset-out-of-service = Tạm ngưng phục vụ
lock-preset-cleaning = Đóng cửa để vệ sinh
lock-preset-back-soon = Quay lại sau 15 phút
out-of-service-audit-log = Tạm ngưng phục vụ — nhật ký kiểm tra không khả dụng
out-of-service-state-dir = Tạm ngưng phục vụ — không thể lưu hồ sơ phiên
audit-log-unwritable = Không thể ghi nhật ký kiểm tra: { $error }
state-dir-unwritable = Không thể ghi hồ sơ phiên: { $error }
out-of-service-until-writable = Đăng nhập sẽ tự mở lại khi ghi được.

## Touch: the keypad and buttons beside a sign-in form

keypad-enter = Enter
touch-new-code = Mã mới
touch-change-number = Đổi số
touch-language = Ngôn ngữ
touch-plus = + Mã quốc gia

## The language list

language-title = Ngôn ngữ
menu-hint = ↑↓ chọn · Enter xác nhận · Esc đóng

## The manager screens

manager-badge = QUẢN LÝ
manager-footer = { $key } đóng · tự đóng sau { $seconds } giây không dùng
manager-close = { $key } đóng
manager-sign-in = Quản lý cửa hàng đăng nhập
manager-refused = Số này không phải của quản lý cửa hàng
manager-refused-hint = Không có gì thay đổi. Nhấn phím bất kỳ.
manager-signed-in = Đã đăng nhập: { $name }
menu-end-session = Kết thúc và xóa phiên hiện tại ({ $owner })
menu-end-session-none = Kết thúc phiên hiện tại (không có phiên)
menu-lock = Khóa (tạm ngưng phục vụ)
menu-unlock = Mở khóa (hiện tại: "{ $message }")
menu-unlock-none = Mở khóa (chưa khóa)
menu-events = Sự kiện gần đây
menu-back = Quay lại
manager-lock-title = Khóa: thông báo hiển thị
manager-lock-own = Tự nhập: { $text }
manager-lock-hint = ↑↓ chọn · tự nhập · Enter khóa · Esc quay lại
manager-events-title = Sự kiện gần đây (mới nhất trước)
manager-events-empty = Chưa có sự kiện nào
manager-events-hint = ↑↓ PgUp PgDn cuộn · Esc quay lại

## The demo

demo-banner = DEMO — phiên chạy với quyền { $user } (sandbox: { $sandbox }); mã được gửi tới điện thoại demo →
demo-phone-title = điện thoại demo
demo-phone-intro = Tin nhắn demo đã gửi
demo-phone-empty = Chưa có tin nhắn
demo-phone-to = Tới { $phone }

## Errors in words, and the screen-reader layout

error-label = Lỗi: { $message }
field-phone = Số điện thoại di động:
field-code = Mã:
code-expires-in-minutes = Mã hết hạn sau { $minutes } phút.

## A terminal too small for the kiosk

too-small = Màn hình quá nhỏ
too-small-size = cần { $need }, hiện có { $have }

## The step-away lock (keys.lock)
status-lock = { $key } khóa
pin-choose-title = Khóa phiên của bạn
pin-choose-intro = Chọn mã PIN 4 đến 6 chữ số rồi nhấn Enter. Bạn sẽ cần nó để quay lại.
pin-choose-again = Nhập lại cùng mã PIN rồi nhấn Enter.
pin-field = PIN: { $digits }
pin-choose-keys = Esc quay lại phiên · { $key } đăng xuất
pin-too-short = Mã PIN có ít nhất 4 chữ số.
pin-trivial = Mã PIN đó quá dễ đoán. Hãy chọn mã khác.
pin-mismatch = Hai mã PIN không giống nhau. Hãy chọn lại mã PIN.
pin-locked-title = Đã khóa bởi { $name } — nhập mã PIN của bạn
pin-checking = Đang kiểm tra mã PIN…
pin-wrong = Sai mã PIN. Còn { $attempts } lần thử trước khi bị đăng xuất.
pin-signs-out-in = Tự động đăng xuất sau { $time }.
pin-seconds = { $seconds } giây
pin-minutes = { $minutes } phút
pin-locked-keys = Enter mở khóa · { $key } Không phải bạn? Đăng nhập

## The code screen's ways on, when the code is slow to come
way-new-code = Nhắn cho tôi mã mới
way-call-me = Gọi cho tôi để đọc mã
way-ask-manager = Nhờ quản lý cửa hàng giúp đỡ
still-waiting = Vẫn chưa nhận được mã?
# $digits: the last four digits of the number the code went to
still-waiting-check = Hãy kiểm tra điện thoại có số đuôi { $digits } đang bật và có sóng. Hoặc:
code-calling = Chúng tôi đang gọi để đọc mã mới cho bạn

## Temporary access passes: the worker's field on the code screen, the manager's "Issue a one-time pass"

pass-use = Dùng mã tạm từ quản lý
pass-back = Quay lại mã
pass-offer-hint = P: dùng mã tạm từ quản lý
# $phone: the number, masked.
pass-prompt = Nhập mã tạm quản lý đã cấp cho { $phone }
# $length: the pass's characters (10).
pass-hint = { $length } chữ và số; không phân biệt hoa thường và dấu gạch
pass-hint-exact = { $length } ký tự; phân biệt chữ hoa và chữ thường
field-pass = Mã tạm:
pass-rejected = Mã tạm không dùng được — hãy kiểm tra với quản lý
pass-checking = Đang kiểm tra mã tạm…
pass-back-hint = Esc: quay lại mã
menu-issue-pass = Cấp mã tạm dùng một lần
manager-pass-title = Cấp mã tạm dùng một lần
manager-pass-prompt = Số di động của nhân viên: họ đăng nhập bằng số này và mã tạm
manager-pass-issuing = Đang cấp mã tạm…
# $name: the worker's display name.
manager-pass-for = Mã tạm dùng một lần cho { $name }
manager-pass-valid = Dùng được một lần, trong { $minutes } phút tới. Chỉ hiện lúc này: đọc to hoặc để họ chép lại.
manager-pass-done-hint = Enter hoặc Esc: xong (mã tạm rời khỏi màn hình)
manager-pass-no-user = Không ai được đăng nhập ở đây có số này
manager-pass-refused = Dịch vụ đăng nhập không cấp mã tạm
