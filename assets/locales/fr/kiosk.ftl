# shiftkey kiosk, French. The messages and their comments are in en/kiosk.ftl.

## The sign-in screen

sign-in-title = Connexion
phone-prompt = Saisissez votre numéro de portable
phone-region-hint = numéros sans +indicatif : { $region }
phone-hint = Entrée : code SMS   Échap : effacer
phone-language-hint = { $key } : Langue
phone-sending = Envoi du code…
phone-retrying = Nouvel essai dans { $seconds } s…
phone-cancel-hint = Échap : annuler
region-name = { $code ->
    [US] États-Unis
    [CA] Canada
    [MX] Mexique
    [BR] Brésil
    [GB] Royaume-Uni
    [IE] Irlande
    [FR] France
    [DE] Allemagne
    [ES] Espagne
    [PT] Portugal
    [IT] Italie
    [NL] Pays-Bas
    [BE] Belgique
    [CH] Suisse
    [AT] Autriche
    [PL] Pologne
    [SE] Suède
    [VN] Viêt Nam
    [CN] Chine
    [IN] Inde
    [AU] Australie
    [NO] Norvège
    [DK] Danemark
    [FI] Finlande
    [NZ] Nouvelle-Zélande
    [JP] Japon
    [ZA] Afrique du Sud
    [SG] Singapour
   *[other] { $code }
}

## Why a number was not taken

error-digits-only = Tapez uniquement des chiffres (et + pour un autre pays)
error-phone-empty = Saisissez un numéro de téléphone
error-phone-too-long = C'est trop long pour un numéro de téléphone
error-phone-not-a-number = Ce n'est pas un numéro : chiffres et + au début
error-phone-invalid = Ce n'est pas un numéro de portable valide ({ $region })
error-phone-unknown-region = Code de région inconnu : { $code }
error-phone-not-mobile = { $kind ->
    [toll-free] Un numéro vert ne peut pas recevoir de codes
    [premium-rate] Un numéro surtaxé ne peut pas recevoir de codes
    [shared-cost] Un numéro à coût partagé ne peut pas recevoir de codes
    [fixed-line] Un fixe ne peut pas recevoir de codes
   *[other] Ce numéro ne peut pas recevoir de codes
}
error-number-refused = Le service de connexion a refusé ce numéro
error-rate-limited = Trop de tentatives — réessayez dans { $seconds } s
error-service-problem = Le service de connexion a eu un problème — réessayez
error-session-failed = Impossible de démarrer votre session : { $error }
service-unreachable = Service de connexion injoignable — réessayez
store-busy = Trop de connexions depuis ce magasin — réessayez dans { $minutes } min

## The code screen

code-prompt = Saisissez le code à { $length } chiffres envoyé au { $phone }
code-prompt-called = Saisissez le code à { $length } chiffres lu par appel au { $phone }
code-on-its-way = Si ce numéro est enregistré, un code est en route
code-wrong = { $attempts_left ->
    [one] Code incorrect — encore 1 essai
   *[other] Code incorrect — encore { $attempts_left } essais
}
code-expired = Ce code a expiré. Entrée pour un nouveau code
code-too-many = Trop d'essais incorrects. Entrée pour un nouveau code
code-resent = Nouveau code envoyé
code-rate-limited = Trop de demandes — attendez { $seconds } s
code-rejected = Ce code n'a pas fonctionné — réessayez
code-untrusted = Réponse du service impossible à vérifier — prévenez un responsable
code-checking = Vérification…
code-resending = Envoi d'un nouveau code…
code-expires-in = Le code expire dans { $time }
code-resend-hint = Rien reçu ? Appuyez sur R pour un nouveau code
code-resend-wait = Nouveau code possible dans { $time }
code-back-hint = Échap : changer de numéro

## Signing in and out

welcome = Bienvenue, { $name }
welcome-starting = Démarrage de votre session…
signing-out = Déconnexion et effacement de votre session…
signed-out = Déconnecté — votre session a été effacée
access-ended = Votre organisation a mis fin à votre accès
sign-out-problem = La déconnexion a laissé des traces ({ $processes ->
    [one] 1 processus
   *[other] { $processes } processus
}, { $dir_removed ->
    [yes] dossier supprimé
   *[no] dossier non supprimé
}) — prévenez un responsable

## The session

status-sign-out = { $key } déconnexion
time-left-minutes = encore { $minutes } min
time-left-hours = encore { $hours } h { $minutes }
idle-title = Vous êtes toujours là ?
idle-countdown = Déconnexion dans { $seconds } s
idle-stay = Appuyez sur une touche pour rester connecté

## Out of service

locked-title = Hors service
locked-hint = Connexion fermée. Un responsable peut la rouvrir ({ $key }).
lock-preset-out-of-service = Hors service
lock-preset-cleaning = Fermé pour nettoyage
lock-preset-back-soon = De retour dans 15 minutes
out-of-service-audit-log = Hors service — journal d'audit indisponible
out-of-service-state-dir = Hors service — impossible de garder les traces de session
audit-log-unwritable = Le journal d'audit ne peut pas être écrit : { $error }
state-dir-unwritable = Les traces de session ne peuvent pas être écrites : { $error }
out-of-service-until-writable = La connexion rouvrira d'elle-même dès que l'écriture sera possible.

## Touch: the keypad and buttons beside a sign-in form

keypad-enter = OK
touch-new-code = Nouveau code
touch-change-number = Changer de numéro
touch-language = Langue
touch-plus = + Indicatif pays

## The language list

language-title = Langue
menu-hint = ↑↓ Entrée : choisir · Échap : fermer

## The manager screens

manager-badge = RESPONSABLE
manager-footer = { $key } fermer · se ferme après { $seconds } s d'inactivité
manager-close = { $key } fermer
manager-sign-in = Connexion du responsable du magasin
manager-refused = Ce numéro n'est pas celui d'un responsable
manager-refused-hint = Rien n'a été modifié. Appuyez sur une touche.
manager-signed-in = Connecté : { $name }
menu-end-session = Terminer la session en cours et l'effacer ({ $owner })
menu-end-session-none = Terminer la session en cours (aucune session)
menu-lock = Verrouiller (hors service)
menu-unlock = Déverrouiller (message : « { $message } »)
menu-unlock-none = Déverrouiller (non verrouillé)
menu-events = Événements récents
menu-back = Retour
manager-lock-title = Verrouiller : le message affiché
manager-lock-own = Personnalisé : { $text }
manager-lock-hint = ↑↓ choisir · tapez le vôtre · Entrée verrouiller · Échap retour
manager-events-title = Événements récents (les plus récents d'abord)
manager-events-empty = Aucun événement enregistré
manager-events-hint = ↑↓ PgUp PgDn défiler · Échap retour

## The demo

demo-banner = DÉMO — les sessions tournent en tant que { $user } (sandbox : { $sandbox }) ; les codes arrivent sur le téléphone de démo →
demo-phone-title = téléphone de démo
demo-phone-intro = SMS envoyés par la démo
demo-phone-empty = Aucun message
demo-phone-to = À { $phone }

## Errors in words, and the screen-reader layout

error-label = Erreur : { $message }
field-phone = Numéro de portable :
field-code = Code :
code-expires-in-minutes = { $minutes ->
    [one] Le code expire dans 1 minute.
   *[other] Le code expire dans { $minutes } minutes.
}

## A terminal too small for the kiosk

too-small = Terminal trop petit
too-small-size = il faut { $need }, il y a { $have }

## The step-away lock (keys.lock)
status-lock = { $key } verrouiller
pin-choose-title = Verrouiller votre session
pin-choose-intro = Choisissez un code PIN de 4 à 6 chiffres et appuyez sur Entrée. Il vous servira à revenir.
pin-choose-again = Tapez le même code PIN encore une fois et appuyez sur Entrée.
pin-field = PIN : { $digits }
pin-choose-keys = Échap retour à votre session · { $key } déconnexion
pin-too-short = Un code PIN a au moins 4 chiffres.
pin-trivial = Ce code PIN est trop facile à deviner. Choisissez-en un autre.
pin-mismatch = Les deux codes PIN sont différents. Choisissez un code PIN à nouveau.
pin-locked-title = Verrouillé par { $name } — tapez votre code PIN
pin-checking = Vérification du code PIN…
pin-wrong = { $attempts ->
    [one] Code PIN erroné. Encore 1 essai avant la déconnexion.
   *[other] Code PIN erroné. Encore { $attempts } essais avant la déconnexion.
}
pin-signs-out-in = Déconnexion automatique dans { $time }.
pin-seconds = { $seconds } s
pin-minutes = { $minutes } min
pin-locked-keys = Entrée déverrouiller · { $key } Pas vous ? Connectez-vous

## The code screen's ways on, when the code is slow to come
way-new-code = M'envoyer un nouveau code par SMS
way-call-me = M'appeler avec le code
way-ask-manager = Demander de l'aide à un responsable du magasin
still-waiting = Toujours pas de code ?
# $digits: the last four digits of the number the code went to
still-waiting-check = Vérifiez que le téléphone se terminant par { $digits } est allumé et capte le réseau. Sinon :
code-calling = Nous vous appelons pour vous lire un nouveau code

## Temporary access passes: the worker's field on the code screen, the manager's "Issue a one-time pass"

pass-use = Code d'accès du responsable
pass-back = Revenir au code
pass-offer-hint = P : utiliser un code d'accès de votre responsable
# $phone: the number, masked.
pass-prompt = Saisissez le code d'accès donné par votre responsable pour le { $phone }
# $length: the pass's characters (10).
pass-hint = { $length } lettres et chiffres ; majuscules et tirets sans importance
pass-hint-exact = { $length } caractères ; les majuscules comptent
field-pass = Code d'accès :
pass-rejected = Ce code d'accès n'a pas marché — vérifiez-le avec votre responsable
pass-checking = Vérification du code d'accès…
pass-back-hint = Échap : revenir au code
menu-issue-pass = Émettre un code d'accès à usage unique
manager-pass-title = Émettre un code d'accès à usage unique
manager-pass-prompt = Le mobile de l'employé : il se connecte avec ce numéro et le code
manager-pass-issuing = Émission du code d'accès…
# $name: the worker's display name.
manager-pass-for = Code d'accès à usage unique pour { $name }
manager-pass-valid = Valable une fois, pendant les { $minutes } prochaines minutes. Affiché seulement maintenant : lisez-le ou laissez-le le recopier.
manager-pass-done-hint = Entrée ou Échap : terminé (le code quitte l'écran)
manager-pass-no-user = Personne pouvant se connecter ici n'a ce numéro
manager-pass-refused = Le service de connexion n'a pas émis de code d'accès
