# shiftkey kiosk, German. The messages and their comments are in en/kiosk.ftl.
# Infinitive style ("Nummer eingeben") throughout: neither "du" nor "Sie".

## The sign-in screen

sign-in-title = Anmelden
phone-prompt = Handynummer eingeben
phone-region-hint = Nummern ohne +Ländervorwahl: { $region }
phone-hint = Enter: Code per SMS   Esc: löschen
phone-language-hint = { $key }: Sprache
phone-sending = Code wird gesendet…
phone-retrying = Neuer Versuch in { $seconds } s…
phone-cancel-hint = Esc: abbrechen
region-name = { $code ->
    [US] Vereinigte Staaten
    [CA] Kanada
    [MX] Mexiko
    [BR] Brasilien
    [GB] Vereinigtes Königreich
    [IE] Irland
    [FR] Frankreich
    [DE] Deutschland
    [ES] Spanien
    [PT] Portugal
    [IT] Italien
    [NL] Niederlande
    [BE] Belgien
    [CH] Schweiz
    [AT] Österreich
    [PL] Polen
    [SE] Schweden
    [VN] Vietnam
    [CN] China
    [IN] Indien
    [AU] Australien
    [NO] Norwegen
    [DK] Dänemark
    [FI] Finnland
    [NZ] Neuseeland
    [JP] Japan
    [ZA] Südafrika
    [SG] Singapur
   *[other] { $code }
}

## Why a number was not taken

error-digits-only = Nur Ziffern eingeben (und + für ein anderes Land)
error-phone-empty = Bitte eine Telefonnummer eingeben
error-phone-too-long = Das ist zu lang für eine Telefonnummer
error-phone-not-a-number = Keine Telefonnummer: Ziffern und ein + am Anfang
error-phone-invalid = Keine gültige Handynummer ({ $region })
error-phone-unknown-region = Unbekannter Regionscode: { $code }
error-phone-not-mobile = { $kind ->
    [toll-free] Gebührenfreie Nummern können keine Codes empfangen
    [premium-rate] Mehrwertnummern können keine Codes empfangen
    [shared-cost] Servicenummern können keine Codes empfangen
    [fixed-line] Festnetznummern können keine Codes empfangen
   *[other] Diese Nummer kann keine Codes empfangen
}
error-number-refused = Der Anmeldedienst hat diese Nummer abgelehnt
error-rate-limited = Zu viele Versuche — erneut in { $seconds } s
error-service-problem = Der Anmeldedienst hatte ein Problem — bitte erneut versuchen
error-session-failed = Sitzung konnte nicht starten: { $error }
service-unreachable = Anmeldedienst nicht erreichbar — bitte erneut versuchen
store-busy = Zu viele Anmeldungen in dieser Filiale — erneut in { $minutes } min

## The code screen

code-prompt = { $length }-stelligen Code eingeben (gesendet an { $phone })
code-prompt-called = { $length }-stelligen Code eingeben (per Anruf an { $phone })
code-on-its-way = Ist die Nummer registriert, ist ein Code unterwegs
code-wrong = { $attempts_left ->
    [one] Falscher Code — noch 1 Versuch
   *[other] Falscher Code — noch { $attempts_left } Versuche
}
code-expired = Der Code ist abgelaufen. Enter für einen neuen Code
code-too-many = Zu viele Fehlversuche. Enter für einen neuen Code
code-resent = Ein neuer Code wurde gesendet
code-rate-limited = Zu viele Anfragen — { $seconds } s warten
code-rejected = Der Code hat nicht funktioniert — bitte erneut versuchen
code-untrusted = Antwort des Anmeldedienstes nicht prüfbar — Filialleitung informieren
code-checking = Wird geprüft…
code-resending = Neuer Code wird gesendet…
code-expires-in = Code läuft ab in { $time }
code-resend-hint = Nichts erhalten? R drücken für einen neuen Code
code-resend-wait = Neuer Code möglich in { $time }
code-back-hint = Esc: Nummer ändern

## Signing in and out

welcome = Willkommen, { $name }
welcome-starting = Sitzung wird gestartet…
signing-out = Abmelden und Sitzung löschen…
signed-out = Abgemeldet — die Sitzung wurde gelöscht
access-ended = Der Zugang wurde von der Organisation beendet
sign-out-problem = Beim Abmelden blieb etwas zurück ({ $processes ->
    [one] 1 Prozess
   *[other] { $processes } Prozesse
}, { $dir_removed ->
    [yes] Ordner gelöscht
   *[no] Ordner nicht gelöscht
}) — Filialleitung informieren

## The session

status-sign-out = { $key } abmelden
time-left-minutes = noch { $minutes } min
time-left-hours = noch { $hours } h { $minutes } min
idle-title = Noch da?
idle-countdown = Abmeldung in { $seconds } s
idle-stay = Taste drücken, um angemeldet zu bleiben

## Out of service

locked-title = Außer Betrieb
locked-hint = Anmeldung geschlossen. Die Filialleitung kann sie öffnen ({ $key }).
lock-preset-out-of-service = Außer Betrieb
lock-preset-cleaning = Wegen Reinigung geschlossen
lock-preset-back-soon = Zurück in 15 Minuten
out-of-service-audit-log = Außer Betrieb — Audit-Protokoll nicht verfügbar
out-of-service-state-dir = Außer Betrieb — Sitzungsdaten können nicht gespeichert werden
audit-log-unwritable = Das Audit-Protokoll kann nicht geschrieben werden: { $error }
state-dir-unwritable = Sitzungsdaten können nicht geschrieben werden: { $error }
out-of-service-until-writable = Die Anmeldung öffnet sich von selbst, sobald wieder geschrieben werden kann.

## Touch: the keypad and buttons beside a sign-in form

keypad-enter = Enter
touch-new-code = Neuer Code
touch-change-number = Nummer ändern
touch-language = Sprache
touch-plus = + Ländervorwahl

## The language list

language-title = Sprache
menu-hint = ↑↓ wählen · Enter OK · Esc schließen

## The manager screens

manager-badge = FILIALLEITUNG
manager-footer = { $key } schließen · schließt nach { $seconds } s ohne Eingabe
manager-close = { $key } schließen
manager-sign-in = Anmeldung Filialleitung
manager-refused = Diese Nummer gehört keiner Filialleitung
manager-refused-hint = Nichts wurde geändert. Beliebige Taste drücken.
manager-signed-in = Angemeldet: { $name }
menu-end-session = Aktuelle Sitzung beenden und löschen ({ $owner })
menu-end-session-none = Aktuelle Sitzung beenden (keine Sitzung)
menu-lock = Sperren (außer Betrieb)
menu-unlock = Entsperren (jetzt: „{ $message }“)
menu-unlock-none = Entsperren (nicht gesperrt)
menu-events = Letzte Ereignisse
menu-back = Zurück
manager-lock-title = Sperren: die angezeigte Nachricht
manager-lock-own = Eigene: { $text }
manager-lock-hint = ↑↓ wählen · eigene tippen · Enter sperren · Esc zurück
manager-events-title = Letzte Ereignisse (neueste zuerst)
manager-events-empty = Noch keine Ereignisse
manager-events-hint = ↑↓ PgUp PgDn blättern · Esc zurück

## The demo

demo-banner = DEMO — Sitzungen laufen als { $user } (Sandbox: { $sandbox }); Codes kommen aufs Demo-Handy →
demo-phone-title = Demo-Handy
demo-phone-intro = Von der Demo gesendete SMS
demo-phone-empty = Noch keine Nachrichten
demo-phone-to = An { $phone }

## Errors in words, and the screen-reader layout

error-label = Fehler: { $message }
field-phone = Handynummer:
field-code = Code:
code-expires-in-minutes = { $minutes ->
    [one] Der Code läuft in 1 Minute ab.
   *[other] Der Code läuft in { $minutes } Minuten ab.
}

## A terminal too small for the kiosk

too-small = Terminal zu klein
too-small-size = nötig { $need }, vorhanden { $have }

## The step-away lock (keys.lock)
status-lock = { $key } sperren
pin-choose-title = Sitzung sperren
pin-choose-intro = Wählen Sie eine PIN mit 4 bis 6 Ziffern und drücken Sie Enter. Sie brauchen sie, um zurückzukommen.
pin-choose-again = Geben Sie dieselbe PIN noch einmal ein und drücken Sie Enter.
pin-field = PIN: { $digits }
pin-choose-keys = Esc zurück zur Sitzung · { $key } abmelden
pin-too-short = Eine PIN hat mindestens 4 Ziffern.
pin-trivial = Diese PIN ist zu leicht zu erraten. Wählen Sie eine andere.
pin-mismatch = Die beiden PINs waren nicht gleich. Wählen Sie erneut eine PIN.
pin-locked-title = Gesperrt von { $name } — PIN eingeben
pin-checking = PIN wird geprüft…
pin-wrong = { $attempts ->
    [one] Falsche PIN. Noch 1 Versuch vor der Abmeldung.
   *[other] Falsche PIN. Noch { $attempts } Versuche vor der Abmeldung.
}
pin-signs-out-in = Automatische Abmeldung in { $time }.
pin-seconds = { $seconds } s
pin-minutes = { $minutes } min
pin-locked-keys = Enter entsperren · { $key } Nicht Sie? Anmelden

## The code screen's ways on, when the code is slow to come
way-new-code = Neuen Code per SMS senden
way-call-me = Mich mit dem Code anrufen
way-ask-manager = Eine Filialleitung um Hilfe bitten
still-waiting = Immer noch kein Code?
# $digits: the last four digits of the number the code went to
still-waiting-check = Prüfen Sie, ob das Telefon mit der Endung { $digits } an ist und Empfang hat. Oder:
code-calling = Wir rufen Sie an und lesen einen neuen Code vor

## Temporary access passes: the worker's field on the code screen, the manager's "Issue a one-time pass"

pass-use = Pass von der Leitung verwenden
pass-back = Zurück zum Code
pass-offer-hint = P: Pass von der Leitung verwenden
# $phone: the number, masked.
pass-prompt = Pass eingeben, den die Leitung für { $phone } ausgestellt hat
# $length: the pass's characters (10).
pass-hint = { $length } Buchstaben und Ziffern; Groß-/Kleinschreibung und Bindestriche egal
pass-hint-exact = { $length } Zeichen; Groß-/Kleinschreibung zählt
field-pass = Pass:
pass-rejected = Dieser Pass hat nicht funktioniert — bitte mit der Leitung prüfen
pass-checking = Pass wird geprüft…
pass-back-hint = Esc: zurück zum Code
menu-issue-pass = Einmalpass ausstellen
manager-pass-title = Einmalpass ausstellen
manager-pass-prompt = Mobilnummer der Mitarbeiterin / des Mitarbeiters: Anmeldung damit und mit dem Pass
manager-pass-issuing = Pass wird ausgestellt…
# $name: the worker's display name.
manager-pass-for = Einmalpass für { $name }
manager-pass-valid = Gilt einmal, in den nächsten { $minutes } Minuten. Wird nur jetzt gezeigt: vorlesen oder abschreiben lassen.
manager-pass-done-hint = Enter oder Esc: fertig (der Pass verschwindet vom Bildschirm)
manager-pass-no-user = Niemand, der sich hier anmelden darf, hat diese Nummer
manager-pass-refused = Der Anmeldedienst hat keinen Pass ausgestellt
