# shiftkey kiosk, Polish. The messages and their comments are in en/kiosk.ftl.

## The sign-in screen

sign-in-title = Zaloguj się
phone-prompt = Wpisz numer telefonu komórkowego
phone-region-hint = numery bez +prefiksu kraju: { $region }
phone-hint = Enter: wyślij mi kod   Esc: wyczyść
phone-language-hint = { $key }: Język
phone-sending = Wysyłamy kod…
phone-retrying = Ponowna próba za { $seconds } s…
phone-cancel-hint = Esc: anuluj
region-name = { $code ->
    [US] Stany Zjednoczone
    [CA] Kanada
    [MX] Meksyk
    [BR] Brazylia
    [GB] Wielka Brytania
    [IE] Irlandia
    [FR] Francja
    [DE] Niemcy
    [ES] Hiszpania
    [PT] Portugalia
    [IT] Włochy
    [NL] Holandia
    [BE] Belgia
    [CH] Szwajcaria
    [AT] Austria
    [PL] Polska
    [SE] Szwecja
    [VN] Wietnam
    [CN] Chiny
    [IN] Indie
    [AU] Australia
    [NO] Norwegia
    [DK] Dania
    [FI] Finlandia
    [NZ] Nowa Zelandia
    [JP] Japonia
    [ZA] RPA
    [SG] Singapur
   *[other] { $code }
}

## Why a number was not taken

error-digits-only = Wpisz tylko cyfry (i + dla innego kraju)
error-phone-empty = Wpisz numer telefonu
error-phone-too-long = To za długie na numer telefonu
error-phone-not-a-number = To nie jest numer: użyj cyfr i + na początku
error-phone-invalid = To nie jest prawidłowy numer komórkowy ({ $region })
error-phone-unknown-region = Nieznany kod regionu: { $code }
error-phone-not-mobile = { $kind ->
    [toll-free] Numer bezpłatny nie odbiera kodów
    [premium-rate] Numer o podwyższonej opłacie nie odbiera kodów
    [shared-cost] Numer o dzielonej opłacie nie odbiera kodów
    [fixed-line] Telefon stacjonarny nie odbiera kodów
   *[other] Ten numer nie odbiera kodów
}
error-number-refused = Usługa logowania odrzuciła ten numer
error-rate-limited = Za dużo prób — spróbuj ponownie za { $seconds } s
error-service-problem = Usługa logowania ma problem — spróbuj ponownie
error-session-failed = Nie udało się uruchomić sesji: { $error }
service-unreachable = Brak połączenia z usługą logowania — spróbuj ponownie
store-busy = Za dużo logowań z tego sklepu — spróbuj za { $minutes } min

## The code screen

code-prompt = Wpisz { $length }-cyfrowy kod wysłany na { $phone }
code-prompt-called = Wpisz { $length }-cyfrowy kod podany w rozmowie na { $phone }
code-on-its-way = Jeśli ten numer jest zarejestrowany, kod jest w drodze
code-wrong = { $attempts_left ->
    [one] Błędny kod — została 1 próba
    [few] Błędny kod — zostały { $attempts_left } próby
    [many] Błędny kod — zostało { $attempts_left } prób
   *[other] Błędny kod — zostało { $attempts_left } prób
}
code-expired = Kod wygasł. Naciśnij Enter, aby dostać nowy
code-too-many = Za dużo błędnych prób. Naciśnij Enter po nowy kod
code-resent = Wysłaliśmy nowy kod
code-rate-limited = Za dużo żądań — poczekaj { $seconds } s
code-rejected = Ten kod nie zadziałał — spróbuj ponownie
code-untrusted = Nie udało się sprawdzić odpowiedzi usługi — powiadom kierownika
code-checking = Sprawdzanie…
code-resending = Wysyłanie nowego kodu…
code-expires-in = Kod wygasa za { $time }
code-resend-hint = Nie dotarł? Naciśnij R, aby wysłać nowy kod
code-resend-wait = Nowy kod możliwy za { $time }
code-back-hint = Esc: zmień numer

## Signing in and out

welcome = Witaj, { $name }
welcome-starting = Uruchamianie sesji…
signing-out = Wylogowywanie i usuwanie sesji…
signed-out = Wylogowano — sesja została usunięta
access-ended = Organizacja zakończyła Twój dostęp
sign-out-problem = Po wylogowaniu coś zostało ({ $processes ->
    [one] 1 proces
    [few] { $processes } procesy
    [many] { $processes } procesów
   *[other] { $processes } procesu
}, { $dir_removed ->
    [yes] folder usunięty
   *[no] folder nieusunięty
}) — powiadom kierownika

## The session

status-sign-out = { $key } wyloguj
time-left-minutes = jeszcze { $minutes } min
time-left-hours = jeszcze { $hours } h { $minutes } min
idle-title = Czy nadal tu jesteś?
idle-countdown = Wylogowanie za { $seconds } s
idle-stay = Naciśnij dowolny klawisz, aby kontynuować

## Out of service

locked-title = Nieczynne
locked-hint = Logowanie zamknięte. Kierownik sklepu może je otworzyć ({ $key }).
lock-preset-out-of-service = Nieczynne
lock-preset-cleaning = Zamknięte — sprzątanie
lock-preset-back-soon = Wracamy za 15 minut
out-of-service-audit-log = Nieczynne — dziennik audytu niedostępny
out-of-service-state-dir = Nieczynne — nie można przechować danych sesji
audit-log-unwritable = Nie można zapisać dziennika audytu: { $error }
state-dir-unwritable = Nie można zapisać danych sesji: { $error }
out-of-service-until-writable = Logowanie otworzy się samo, gdy zapis znów będzie możliwy.

## Touch: the keypad and buttons beside a sign-in form

keypad-enter = Enter
touch-new-code = Nowy kod
touch-change-number = Zmień numer
touch-language = Język
touch-plus = + Kierunkowy kraju

## The language list

language-title = Język
menu-hint = ↑↓ wybierz · Enter OK · Esc zamknij

## The manager screens

manager-badge = KIEROWNIK
manager-footer = { $key } zamknij · zamyka się po { $seconds } s bezczynności
manager-close = { $key } zamknij
manager-sign-in = Logowanie kierownika sklepu
manager-refused = Ten numer nie należy do kierownika sklepu
manager-refused-hint = Nic nie zmieniono. Naciśnij dowolny klawisz.
manager-signed-in = Zalogowano: { $name }
menu-end-session = Zakończ bieżącą sesję i ją usuń ({ $owner })
menu-end-session-none = Zakończ bieżącą sesję (brak sesji)
menu-lock = Zablokuj (nieczynne)
menu-unlock = Odblokuj (teraz: „{ $message }”)
menu-unlock-none = Odblokuj (nie zablokowano)
menu-events = Ostatnie zdarzenia
menu-back = Wstecz
manager-lock-title = Blokada: wyświetlany komunikat
manager-lock-own = Własny: { $text }
manager-lock-hint = ↑↓ wybierz · wpisz własny · Enter zablokuj · Esc wstecz
manager-events-title = Ostatnie zdarzenia (najnowsze najpierw)
manager-events-empty = Brak zapisanych zdarzeń
manager-events-hint = ↑↓ PgUp PgDn przewijaj · Esc wstecz

## The demo

demo-banner = DEMO — sesje działają jako { $user } (sandbox: { $sandbox }); kody przychodzą na telefon demo →
demo-phone-title = telefon demo
demo-phone-intro = SMS-y wysłane przez demo
demo-phone-empty = Brak wiadomości
demo-phone-to = Do { $phone }

## Errors in words, and the screen-reader layout

error-label = Błąd: { $message }
field-phone = Numer komórki:
field-code = Kod:
code-expires-in-minutes = { $minutes ->
    [one] Kod wygaśnie za 1 minutę.
    [few] Kod wygaśnie za { $minutes } minuty.
    [many] Kod wygaśnie za { $minutes } minut.
   *[other] Kod wygaśnie za { $minutes } minut.
}

## A terminal too small for the kiosk

too-small = Terminal za mały
too-small-size = potrzeba { $need }, jest { $have }

## The step-away lock (keys.lock)
status-lock = { $key } zablokuj
pin-choose-title = Zablokuj swoją sesję
pin-choose-intro = Wybierz PIN z 4–6 cyfr i naciśnij Enter. Będzie potrzebny, aby wrócić.
pin-choose-again = Wpisz ten sam PIN jeszcze raz i naciśnij Enter.
pin-field = PIN: { $digits }
pin-choose-keys = Esc powrót do sesji · { $key } wyloguj
pin-too-short = PIN ma co najmniej 4 cyfry.
pin-trivial = Ten PIN jest zbyt łatwy do odgadnięcia. Wybierz inny.
pin-mismatch = Oba PIN-y się różnią. Wybierz PIN jeszcze raz.
pin-locked-title = Zablokowane przez: { $name } — wpisz swój PIN
pin-checking = Sprawdzanie PIN-u…
pin-wrong = { $attempts ->
    [one] Błędny PIN. Została 1 próba przed wylogowaniem.
    [few] Błędny PIN. Zostały { $attempts } próby przed wylogowaniem.
   *[many] Błędny PIN. Zostało { $attempts } prób przed wylogowaniem.
}
pin-signs-out-in = Automatyczne wylogowanie za { $time }.
pin-seconds = { $seconds } s
pin-minutes = { $minutes } min
pin-locked-keys = Enter odblokuj · { $key } To nie Ty? Zaloguj się

## The code screen's ways on, when the code is slow to come
way-new-code = Wyślij mi nowy kod SMS-em
way-call-me = Zadzwoń do mnie z kodem
way-ask-manager = Poproś kierownika sklepu o pomoc
still-waiting = Nadal czekasz na kod?
# $digits: the last four digits of the number the code went to
still-waiting-check = Sprawdź, czy telefon kończący się na { $digits } jest włączony i ma zasięg. Albo:
code-calling = Dzwonimy, aby odczytać nowy kod

## Temporary access passes: the worker's field on the code screen, the manager's "Issue a one-time pass"

pass-use = Użyj przepustki od kierownika
pass-back = Wróć do kodu
pass-offer-hint = P: użyj przepustki od kierownika
# $phone: the number, masked.
pass-prompt = Wpisz przepustkę od kierownika dla { $phone }
# $length: the pass's characters (10).
pass-hint = { $length } liter i cyfr; wielkość liter i myślniki nie mają znaczenia
pass-hint-exact = { $length } znaków; wielkość liter ma znaczenie
field-pass = Przepustka:
pass-rejected = Ta przepustka nie zadziałała — sprawdź ją z kierownikiem
pass-checking = Sprawdzanie przepustki…
pass-back-hint = Esc: wróć do kodu
menu-issue-pass = Wydaj jednorazową przepustkę
manager-pass-title = Wydaj jednorazową przepustkę
manager-pass-prompt = Numer komórkowy pracownika: loguje się nim i przepustką
manager-pass-issuing = Wydawanie przepustki…
# $name: the worker's display name.
manager-pass-for = Jednorazowa przepustka dla { $name }
manager-pass-valid = Działa raz, przez następne { $minutes } min. Widoczna tylko teraz: przeczytaj ją lub daj przepisać.
manager-pass-done-hint = Enter lub Esc: gotowe (przepustka znika z ekranu)
manager-pass-no-user = Nikt, kto może się tu zalogować, nie ma tego numeru
manager-pass-refused = Usługa logowania nie wydała przepustki
