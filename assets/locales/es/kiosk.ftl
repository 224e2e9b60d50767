# shiftkey kiosk, Spanish. The messages and their comments are in en/kiosk.ftl.

## The sign-in screen

sign-in-title = Iniciar sesión
phone-prompt = Escribe tu número de teléfono móvil
phone-region-hint = números sin +código de país: { $region }
phone-hint = Enter: recibir código   Esc: borrar
phone-language-hint = { $key }: Idioma
phone-sending = Enviándote un código…
phone-retrying = Reintentando en { $seconds } s…
phone-cancel-hint = Esc: cancelar
region-name = { $code ->
    [US] Estados Unidos
    [CA] Canadá
    [MX] México
    [BR] Brasil
    [GB] Reino Unido
    [IE] Irlanda
    [FR] Francia
    [DE] Alemania
    [ES] España
    [PT] Portugal
    [IT] Italia
    [NL] Países Bajos
    [BE] Bélgica
    [CH] Suiza
    [AT] Austria
    [PL] Polonia
    [SE] Suecia
    [VN] Vietnam
    [CN] China
    [IN] India
    [AU] Australia
    [NO] Noruega
    [DK] Dinamarca
    [FI] Finlandia
    [NZ] Nueva Zelanda
    [JP] Japón
    [ZA] Sudáfrica
    [SG] Singapur
   *[other] { $code }
}

## Why a number was not taken

error-digits-only = Escribe solo dígitos (y + para otro país)
error-phone-empty = Escribe un número de teléfono
error-phone-too-long = Es demasiado largo para ser un número de teléfono
error-phone-not-a-number = Eso no es un número: usa dígitos y un + inicial
error-phone-invalid = No es un número móvil válido de { $region }
error-phone-unknown-region = Código de región desconocido: { $code }
error-phone-not-mobile = { $kind ->
    [toll-free] Un número gratuito no puede recibir códigos
    [premium-rate] Un número de tarifa especial no puede recibir códigos
    [shared-cost] Un número de costo compartido no puede recibir códigos
    [fixed-line] Un teléfono fijo no puede recibir códigos
   *[other] Ese número no puede recibir códigos
}
error-number-refused = El servicio de acceso rechazó este número
error-rate-limited = Demasiados intentos — inténtalo de nuevo en { $seconds } s
error-service-problem = El servicio de acceso tuvo un problema — inténtalo de nuevo
error-session-failed = No se pudo iniciar tu sesión: { $error }
service-unreachable = No hay conexión con el servicio de acceso — inténtalo de nuevo
store-busy = Demasiados accesos desde esta tienda — inténtalo en { $minutes } min

## The code screen

code-prompt = Escribe el código de { $length } dígitos que enviamos al { $phone }
code-prompt-called = Escribe el código de { $length } dígitos que te leímos al { $phone }
code-on-its-way = Si este número está registrado, el código va en camino
code-wrong = { $attempts_left ->
    [one] Código incorrecto — te queda 1 intento
   *[other] Código incorrecto — te quedan { $attempts_left } intentos
}
code-expired = El código expiró. Presiona Enter para pedir otro
code-too-many = Demasiados intentos fallidos. Presiona Enter para pedir otro
code-resent = Te enviamos un código nuevo
code-rate-limited = Demasiadas solicitudes — espera { $seconds } s
code-rejected = Ese código no funcionó — inténtalo de nuevo
code-untrusted = No se pudo verificar la respuesta del servicio — avisa a un encargado
code-checking = Comprobando…
code-resending = Enviando un código nuevo…
code-expires-in = El código expira en { $time }
code-resend-hint = ¿No llegó? Presiona R para recibir otro
code-resend-wait = Podrás pedir otro en { $time }
code-back-hint = Esc: cambiar número

## Signing in and out

welcome = Hola, { $name }
welcome-starting = Iniciando tu sesión…
signing-out = Cerrando la sesión y borrando tus datos…
signed-out = Sesión cerrada — se borró todo lo tuyo
access-ended = Tu organización terminó tu acceso
sign-out-problem = Al cerrar la sesión quedó algo ({ $processes ->
    [one] 1 proceso
   *[other] { $processes } procesos
}, { $dir_removed ->
    [yes] carpeta borrada
   *[no] carpeta sin borrar
}) — avisa a un encargado

## The session

status-sign-out = { $key } salir
time-left-minutes = quedan { $minutes } min
time-left-hours = quedan { $hours } h { $minutes } min
idle-title = ¿Sigues ahí?
idle-countdown = Cerrando sesión en { $seconds } s
idle-stay = Presiona cualquier tecla para continuar

## Out of service

locked-title = Fuera de servicio
locked-hint = El acceso está cerrado. Un encargado puede abrirlo ({ $key }).
lock-preset-out-of-service = Fuera de servicio
lock-preset-cleaning = Cerrado por limpieza
lock-preset-back-soon = Volvemos en 15 minutos
out-of-service-audit-log = Fuera de servicio — registro de auditoría no disponible
out-of-service-state-dir = Fuera de servicio — no se pueden guardar los registros de sesión
audit-log-unwritable = No se puede escribir el registro de auditoría: { $error }
state-dir-unwritable = No se pueden escribir los registros de sesión: { $error }
out-of-service-until-writable = El acceso se abrirá solo cuando se pueda escribir de nuevo.

## Touch: the keypad and buttons beside a sign-in form

keypad-enter = Enter
touch-new-code = Nuevo código
touch-change-number = Cambiar número
touch-language = Idioma
touch-plus = + Prefijo de país

## The language list

language-title = Idioma
menu-hint = ↑↓ elegir · Enter OK · Esc cerrar

## The manager screens

manager-badge = ENCARGADO
manager-footer = { $key } cerrar · se cierra tras { $seconds } s sin uso
manager-close = { $key } cerrar
manager-sign-in = Acceso de encargado de tienda
manager-refused = Este número no es de un encargado
manager-refused-hint = No se cambió nada. Presiona cualquier tecla.
manager-signed-in = Sesión iniciada: { $name }
menu-end-session = Terminar la sesión actual y borrarla ({ $owner })
menu-end-session-none = Terminar la sesión actual (no hay sesión)
menu-lock = Bloquear (fuera de servicio)
menu-unlock = Desbloquear (ahora: "{ $message }")
menu-unlock-none = Desbloquear (no está bloqueado)
menu-events = Eventos recientes
menu-back = Volver
manager-lock-title = Bloquear: el mensaje que se muestra
manager-lock-own = Propio: { $text }
manager-lock-hint = ↑↓ elegir · escribe el tuyo · Enter bloquear · Esc volver
manager-events-title = Eventos recientes (primero los nuevos)
manager-events-empty = Aún no hay eventos
manager-events-hint = ↑↓ PgUp PgDn desplazar · Esc volver

## The demo

demo-banner = DEMO — las sesiones corren como { $user } (sandbox: { $sandbox }); los códigos llegan al teléfono demo →
demo-phone-title = teléfono demo
demo-phone-intro = SMS enviados por la demo
demo-phone-empty = Aún no hay mensajes
demo-phone-to = Para { $phone }

## Errors in words, and the screen-reader layout

error-label = Error: { $message }
field-phone = Número de móvil:
field-code = Código:
code-expires-in-minutes = { $minutes ->
    [one] El código caduca en 1 minuto.
   *[other] El código caduca en { $minutes } minutos.
}

## A terminal too small for the kiosk

too-small = Terminal demasiado pequeña
too-small-size = se necesita { $need }, hay { $have }

## The step-away lock (keys.lock)
status-lock = { $key } bloquear
pin-choose-title = Bloquee su sesión
pin-choose-intro = Elija un PIN de 4 a 6 dígitos y pulse Intro. Lo necesitará para volver.
pin-choose-again = Escriba el mismo PIN otra vez y pulse Intro.
pin-field = PIN: { $digits }
pin-choose-keys = Esc volver a su sesión · { $key } salir
pin-too-short = Un PIN tiene al menos 4 dígitos.
pin-trivial = Ese PIN es demasiado fácil de adivinar. Elija otro.
pin-mismatch = Los dos PIN no coinciden. Elija un PIN de nuevo.
pin-locked-title = Bloqueado por { $name }: escriba su PIN
pin-checking = Comprobando el PIN…
pin-wrong = { $attempts ->
    [one] PIN incorrecto. Queda 1 intento antes de cerrar la sesión.
   *[other] PIN incorrecto. Quedan { $attempts } intentos antes de cerrar la sesión.
}
pin-signs-out-in = La sesión se cierra sola en { $time }.
pin-seconds = { $seconds } s
pin-minutes = { $minutes } min
pin-locked-keys = Intro desbloquear · { $key } ¿No es usted? Inicie sesión

## The code screen's ways on, when the code is slow to come
way-new-code = Envíame un código nuevo por SMS
way-call-me = Llámame con el código
way-ask-manager = Pide ayuda a un encargado de la tienda
still-waiting = ¿Sigues esperando el código?
# $digits: the last four digits of the number the code went to
still-waiting-check = Comprueba que el teléfono que termina en { $digits } esté encendido y con cobertura. O bien:
code-calling = Te estamos llamando para leerte un código nuevo

## Temporary access passes: the worker's field on the code screen, the manager's "Issue a one-time pass"

pass-use = Usar un pase de tu encargado
pass-back = Volver al código
pass-offer-hint = P: usar un pase de tu encargado
# $phone: the number, masked.
pass-prompt = Escribe el pase que te dio tu encargado para { $phone }
# $length: the pass's characters (10).
pass-hint = { $length } letras y números; mayúsculas y guiones no importan
pass-hint-exact = { $length } caracteres; las mayúsculas importan
field-pass = Pase:
pass-rejected = Ese pase no funcionó — compruébalo con tu encargado
pass-checking = Comprobando el pase…
pass-back-hint = Esc: volver al código
menu-issue-pass = Emitir un pase de un solo uso
manager-pass-title = Emitir un pase de un solo uso
manager-pass-prompt = El móvil del trabajador: inicia sesión con él y el pase
manager-pass-issuing = Emitiendo un pase…
# $name: the worker's display name.
manager-pass-for = Pase de un solo uso para { $name }
manager-pass-valid = Sirve una vez, durante los próximos { $minutes } minutos. Solo se muestra ahora: léelo en voz alta o deja que lo copien.
manager-pass-done-hint = Enter o Esc: listo (el pase desaparece de la pantalla)
manager-pass-no-user = Nadie que pueda iniciar sesión aquí tiene ese número
manager-pass-refused = El servicio de inicio de sesión no emitió el pase
