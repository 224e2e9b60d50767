# shiftkey kiosk: every word a worker or a store manager sees.
# Each language has the same messages (tests/languages.rs checks). Keep lines short: the
# smallest kiosk screen is 40x12. The kiosk folds the symbols a terminal lacks
# (— … • · ▸ ↑ ↓) to ones it has; use no others.

## The sign-in screen

sign-in-title = Sign in
phone-prompt = Enter your mobile number
# $region: the region's name (region-name).
phone-region-hint = numbers without +country are read as { $region }
phone-hint = Enter: text me a code   Esc: clear
# $key: the language key (F2). (On a touch screen, the Language button under the keypad.)
phone-language-hint = { $key }: Language
phone-sending = Sending you a code…
phone-retrying = Trying again in { $seconds } s…
phone-cancel-hint = Esc: cancel

# $code: a two-letter region code. Names for the regions a kiosk is likely set to; others
# show their code.
region-name = { $code ->
    [US] United States
    [CA] Canada
    [MX] Mexico
    [BR] Brazil
    [GB] the United Kingdom
    [IE] Ireland
    [FR] France
    [DE] Germany
    [ES] Spain
    [PT] Portugal
    [IT] Italy
    [NL] the Netherlands
    [BE] Belgium
    [CH] Switzerland
    [AT] Austria
    [PL] Poland
    [SE] Sweden
    [VN] Vietnam
    [CN] China
    [IN] India
    [AU] Australia
    [NO] Norway
    [DK] Denmark
    [FI] Finland
    [NZ] New Zealand
    [JP] Japan
    [ZA] South Africa
    [SG] Singapore
   *[other] { $code }
}

## Why a number was not taken

error-digits-only = Type digits only (and + for another country)
error-phone-empty = Type a phone number
error-phone-too-long = That is too long to be a phone number
error-phone-not-a-number = That isn't a phone number: use digits and a leading +
# $region: the region's name (region-name).
error-phone-invalid = That isn't a valid mobile number for { $region }
error-phone-unknown-region = Unknown region code { $code }
# $kind: toll-free, premium-rate, shared-cost, fixed-line or other.
error-phone-not-mobile = { $kind ->
    [toll-free] A toll-free number can't receive sign-in codes
    [premium-rate] A premium-rate number can't receive sign-in codes
    [shared-cost] A shared-cost number can't receive sign-in codes
    [fixed-line] A landline can't receive sign-in codes
   *[other] That number can't receive sign-in codes
}
error-number-refused = The sign-in service refused this number
error-rate-limited = Too many attempts — try again in { $seconds } s
error-service-problem = The sign-in service had a problem — try again
# $error: the system's reason, in English.
error-session-failed = Couldn't start your session: { $error }
service-unreachable = Can't reach the sign-in service — try again
# The provider's per-address limit: every kiosk of the store counts together.
store-busy = Too many sign-ins from this store right now — try again in { $minutes } min

## The code screen

# $length: how many digits; $phone: the masked number (+1 ••• ••• 0100).
code-prompt = Enter the { $length }-digit code we texted to { $phone }
code-prompt-called = Enter the { $length }-digit code we read out to { $phone }
# The same words for every number: whether a number is registered never shows.
code-on-its-way = If this number is registered, a code is on its way
code-wrong = { $attempts_left ->
    [one] That code isn't right — 1 try left
   *[other] That code isn't right — { $attempts_left } tries left
}
code-expired = That code has expired. Press Enter for a new code
code-too-many = Too many wrong tries. Press Enter for a new code
code-resent = We sent you a new code
code-rate-limited = Too many requests — wait { $seconds } s
code-rejected = That code didn't work — try again
code-untrusted = The sign-in service's answer couldn't be checked — tell a manager
code-checking = Checking…
code-resending = Sending a new code…
# $time: minutes:seconds (4:59).
code-expires-in = Code expires in { $time }
code-resend-hint = Didn't get it? Press R to send a new code
code-resend-wait = New code possible in { $time }
code-back-hint = Esc: change number

## Signing in and out

welcome = Welcome, { $name }
welcome-starting = Starting your session…
signing-out = Signing out and erasing your session…
signed-out = Signed out — your session was erased
access-ended = Your access was ended by your organisation
# $processes: how many were left running; $dir_removed: yes or no.
sign-out-problem = Sign-out left something behind ({ $processes ->
    [one] 1 process
   *[other] { $processes } processes
}, { $dir_removed ->
    [yes] folder removed
   *[no] folder not removed
}) — tell a manager

## The session

# The status bar's key: keep it short.
status-sign-out = { $key } sign out
time-left-minutes = { $minutes } min left
# $minutes: two digits (05).
time-left-hours = { $hours }h { $minutes }m left
idle-title = Are you still there?
idle-countdown = Signing out in { $seconds } s
idle-stay = Press any key to stay signed in

## Out of service

locked-title = Out of service
locked-hint = Sign-in is closed. A store manager can open it ({ $key }).
lock-preset-out-of-service = Out of service
lock-preset-cleaning = Closed for cleaning
lock-preset-back-soon = Back in 15 minutes
# The kiosk can't write what a session needs, and opens no session until it can.
# $error: the system's reason, in English (for a manager or technician).
out-of-service-audit-log = Out of service — audit log unavailable
out-of-service-state-dir = Out of service — session records can't be kept
audit-log-unwritable = The audit log can't be written: { $error }
state-dir-unwritable = Session records can't be written: { $error }
out-of-service-until-writable = Sign-in opens again by itself once the kiosk can write.

## Touch: the keypad and buttons beside a sign-in form

# The keypad's Enter key: at most 5 columns.
keypad-enter = Enter
# The buttons under the keypad, at most 21 columns each: a new code (the R key), back to the
# number (Esc), the language list (the language key).
touch-new-code = New code
touch-change-number = Change number
touch-language = Language
touch-plus = + Country code

## The language list

language-title = Language
menu-hint = ↑↓ choose · Enter select · Esc close

## The manager screens

manager-badge = MANAGER
# The manager screens' bottom line; on a narrow screen, manager-close alone.
manager-footer = { $key } close · closes after { $seconds } s idle
manager-close = { $key } close
manager-sign-in = Store manager sign-in
manager-refused = This number isn't a store manager
manager-refused-hint = Nothing was changed. Press any key.
manager-signed-in = Signed in: { $name }
# $owner: the worker's name and masked number.
menu-end-session = End the current session and erase it ({ $owner })
menu-end-session-none = End the current session (no session)
menu-lock = Lock (out of service)
menu-unlock = Unlock (now: "{ $message }")
menu-unlock-none = Unlock (not locked)
menu-events = Recent events
menu-back = Back
manager-lock-title = Lock: the message shown while out of service
manager-lock-own = Your own: { $text }
manager-lock-hint = ↑↓ choose · type your own · Enter lock · Esc back
manager-events-title = Recent events (newest first)
manager-events-empty = No events recorded yet
manager-events-hint = ↑↓ PgUp PgDn scroll · Esc back

## The demo

# $user: who sessions run as; $sandbox: bwrap or none.
demo-banner = DEMO — sessions run as { $user } (sandbox: { $sandbox }); codes arrive on the demo phone →
demo-phone-title = demo phone
demo-phone-intro = Texts sent by the demo
demo-phone-empty = No messages yet
demo-phone-to = To { $phone }

## Errors in words, and the screen-reader layout

# Before an error where colour alone can't say it's one (high contrast, a screen reader).
error-label = Error: { $message }
# The screen-reader layout's fields: a label, then what was typed.
field-phone = Mobile number:
field-code = Code:
# The screen-reader layout says the code's time left once a minute, as a sentence.
code-expires-in-minutes = { $minutes ->
    [one] The code expires in 1 minute.
   *[other] The code expires in { $minutes } minutes.
}

## A terminal too small for the kiosk

too-small = Terminal too small
# $need and $have: columns x rows (40x12).
too-small-size = need { $need }, have { $have }

## The step-away lock (keys.lock)
status-lock = { $key } lock
pin-choose-title = Lock your session
pin-choose-intro = Choose a PIN of 4 to 6 digits and press Enter. You will need it to come back.
pin-choose-again = Type the same PIN again and press Enter.
# $digits: one star per digit typed, then _ where the next goes.
pin-field = PIN: { $digits }
pin-choose-keys = Esc back to your session · { $key } sign out
pin-too-short = A PIN has at least 4 digits.
pin-trivial = That PIN is too easy to guess. Choose another.
pin-mismatch = The two PINs were not the same. Choose a PIN again.
# $name: the worker's first name and initial, e.g. "Alex R."
pin-locked-title = Locked by { $name } — enter your PIN
pin-checking = Checking the PIN…
pin-wrong = { $attempts ->
    [one] Wrong PIN. 1 try left before you are signed out.
   *[other] Wrong PIN. { $attempts } tries left before you are signed out.
}
# $time: "45 s" or "4 min"
pin-signs-out-in = Signs out by itself in { $time }.
pin-seconds = { $seconds } s
pin-minutes = { $minutes } min
pin-locked-keys = Enter unlock · { $key } Not you? Sign in

## The code screen's ways on, when the code is slow to come
way-new-code = Text me a new code
way-call-me = Call me with the code
way-ask-manager = Ask a store manager for help
still-waiting = Still waiting for the code?
# $digits: the last four digits of the number the code went to
still-waiting-check = Check that the phone ending in { $digits } is on and has signal. Or:
code-calling = We're calling you to read out a new code

## Temporary access passes: the worker's field on the code screen, the manager's "Issue a one-time pass"

pass-use = Use a pass from your manager
pass-back = Back to the code
pass-offer-hint = P: use a pass from your manager
# $phone: the number, masked.
pass-prompt = Type the pass your manager gave you for { $phone }
# $length: the pass's characters (10).
pass-hint = { $length } letters and digits; capitals and dashes don't matter
pass-hint-exact = { $length } characters; capitals matter
field-pass = Pass:
pass-rejected = That pass didn't work — check it with your manager
pass-checking = Checking the pass…
pass-back-hint = Esc: back to the code
menu-issue-pass = Issue a one-time pass
manager-pass-title = Issue a one-time pass
manager-pass-prompt = The worker's mobile number: they sign in with it and the pass
manager-pass-issuing = Issuing a pass…
# $name: the worker's display name.
manager-pass-for = One-time pass for { $name }
manager-pass-valid = Works once, for the next { $minutes } minutes. Shown only now: read it out or let them copy it.
manager-pass-done-hint = Enter or Esc: done (the pass leaves the screen)
manager-pass-no-user = No one who may sign in here has that number
manager-pass-refused = The sign-in service didn't issue a pass
