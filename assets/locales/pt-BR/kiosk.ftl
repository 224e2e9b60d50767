# shiftkey kiosk, Brazilian Portuguese. The messages and their comments are in en/kiosk.ftl.

## The sign-in screen

sign-in-title = Entrar
phone-prompt = Digite seu número de celular
phone-region-hint = números sem +código do país: { $region }
phone-hint = Enter: receber código   Esc: limpar
phone-language-hint = { $key }: Idioma
phone-sending = Enviando um código…
phone-retrying = Tentando de novo em { $seconds } s…
phone-cancel-hint = Esc: cancelar
region-name = { $code ->
    [US] Estados Unidos
    [CA] Canadá
    [MX] México
    [BR] Brasil
    [GB] Reino Unido
    [IE] Irlanda
    [FR] França
    [DE] Alemanha
    [ES] Espanha
    [PT] Portugal
    [IT] Itália
    [NL] Países Baixos
    [BE] Bélgica
    [CH] Suíça
    [AT] Áustria
    [PL] Polônia
    [SE] Suécia
    [VN] Vietnã
    [CN] China
    [IN] Índia
    [AU] Austrália
    [NO] Noruega
    [DK] Dinamarca
    [FI] Finlândia
    [NZ] Nova Zelândia
    [JP] Japão
    [ZA] África do Sul
    [SG] Singapura
   *[other] { $code }
}

## Why a number was not taken

error-digits-only = Digite só números (e + para outro país)
error-phone-empty = Digite um número de telefone
error-phone-too-long = Longo demais para um número de telefone
error-phone-not-a-number = Isso não é um número: use dígitos e um + no início
error-phone-invalid = Não é um celular válido ({ $region })
error-phone-unknown-region = Código de região desconhecido: { $code }
error-phone-not-mobile = { $kind ->
    [toll-free] Números gratuitos não recebem códigos
    [premium-rate] Números de tarifa especial não recebem códigos
    [shared-cost] Números de custo compartilhado não recebem códigos
    [fixed-line] Telefones fixos não recebem códigos
   *[other] Esse número não recebe códigos
}
error-number-refused = O serviço de acesso recusou este número
error-rate-limited = Tentativas demais — tente de novo em { $seconds } s
error-service-problem = O serviço de acesso teve um problema — tente de novo
error-session-failed = Não foi possível iniciar sua sessão: { $error }
service-unreachable = Sem conexão com o serviço de acesso — tente de novo
store-busy = Acessos demais desta loja agora — tente em { $minutes } min

## The code screen

code-prompt = Digite o código de { $length } dígitos enviado para { $phone }
code-prompt-called = Digite o código de { $length } dígitos lido na ligação para { $phone }
code-on-its-way = Se este número estiver cadastrado, um código está a caminho
code-wrong = { $attempts_left ->
    [one] Código incorreto — resta 1 tentativa
   *[other] Código incorreto — restam { $attempts_left } tentativas
}
code-expired = O código expirou. Pressione Enter para receber outro
code-too-many = Tentativas erradas demais. Pressione Enter para receber outro
code-resent = Enviamos um novo código
code-rate-limited = Solicitações demais — aguarde { $seconds } s
code-rejected = Esse código não funcionou — tente de novo
code-untrusted = Não foi possível verificar a resposta do serviço — avise um gerente
code-checking = Verificando…
code-resending = Enviando um novo código…
code-expires-in = O código expira em { $time }
code-resend-hint = Não chegou? Pressione R para receber outro
code-resend-wait = Novo código possível em { $time }
code-back-hint = Esc: trocar número

## Signing in and out

welcome = Olá, { $name }
welcome-starting = Iniciando sua sessão…
signing-out = Saindo e apagando sua sessão…
signed-out = Você saiu — sua sessão foi apagada
access-ended = Seu acesso foi encerrado pela sua organização
sign-out-problem = A saída deixou algo para trás ({ $processes ->
    [one] 1 processo
   *[other] { $processes } processos
}, { $dir_removed ->
    [yes] pasta removida
   *[no] pasta não removida
}) — avise um gerente

## The session

status-sign-out = { $key } sair
time-left-minutes = { $minutes ->
    [one] falta 1 min
   *[other] faltam { $minutes } min
}
time-left-hours = faltam { $hours } h { $minutes } min
idle-title = Você ainda está aí?
idle-countdown = Saindo em { $seconds } s
idle-stay = Pressione qualquer tecla para continuar conectado

## Out of service

locked-title = Fora de serviço
locked-hint = O acesso está fechado. Um gerente pode abri-lo ({ $key }).
lock-preset-out-of-service = Fora de serviço
lock-preset-cleaning = Fechado para limpeza
lock-preset-back-soon = Voltamos em 15 minutos
out-of-service-audit-log = Fora de serviço — registro de auditoria indisponível
out-of-service-state-dir = Fora de serviço — não é possível guardar os registros de sessão
audit-log-unwritable = Não é possível gravar o registro de auditoria: { $error }
state-dir-unwritable = Não é possível gravar os registros de sessão: { $error }
out-of-service-until-writable = O acesso volta sozinho assim que for possível gravar.

## Touch: the keypad and buttons beside a sign-in form

keypad-enter = Enter
touch-new-code = Novo código
touch-change-number = Trocar número
touch-language = Idioma
touch-plus = + Código do país

## The language list

language-title = Idioma
menu-hint = ↑↓ escolher · Enter OK · Esc fechar

## The manager screens

manager-badge = GERENTE
manager-footer = { $key } fechar · fecha após { $seconds } s sem uso
manager-close = { $key } fechar
manager-sign-in = Acesso do gerente da loja
manager-refused = Este número não é de um gerente da loja
manager-refused-hint = Nada foi alterado. Pressione qualquer tecla.
manager-signed-in = Conectado: { $name }
menu-end-session = Encerrar a sessão atual e apagá-la ({ $owner })
menu-end-session-none = Encerrar a sessão atual (nenhuma sessão)
menu-lock = Bloquear (fora de serviço)
menu-unlock = Desbloquear (agora: "{ $message }")
menu-unlock-none = Desbloquear (não bloqueado)
menu-events = Eventos recentes
menu-back = Voltar
manager-lock-title = Bloquear: a mensagem exibida
manager-lock-own = Sua própria: { $text }
manager-lock-hint = ↑↓ escolher · digite a sua · Enter bloquear · Esc voltar
manager-events-title = Eventos recentes (mais novos primeiro)
manager-events-empty = Nenhum evento registrado ainda
manager-events-hint = ↑↓ PgUp PgDn rolar · Esc voltar

## The demo

demo-banner = DEMO — as sessões rodam como { $user } (sandbox: { $sandbox }); os códigos chegam no celular de demonstração →
demo-phone-title = celular demo
demo-phone-intro = SMS enviados pela demo
demo-phone-empty = Nenhuma mensagem ainda
demo-phone-to = Para { $phone }

## Errors in words, and the screen-reader layout

error-label = Erro: { $message }
field-phone = Número do celular:
field-code = Código:
code-expires-in-minutes = { $minutes ->
    [one] O código expira em 1 minuto.
   *[other] O código expira em { $minutes } minutos.
}

## A terminal too small for the kiosk

too-small = Terminal pequeno demais
too-small-size = precisa de { $need }, tem { $have }

## The step-away lock (keys.lock)
status-lock = { $key } bloquear
pin-choose-title = Bloqueie sua sessão
pin-choose-intro = Escolha um PIN de 4 a 6 dígitos e pressione Enter. Você vai precisar dele para voltar.
pin-choose-again = Digite o mesmo PIN outra vez e pressione Enter.
pin-field = PIN: { $digits }
pin-choose-keys = Esc voltar à sua sessão · { $key } sair
pin-too-short = Um PIN tem pelo menos 4 dígitos.
pin-trivial = Esse PIN é fácil demais de adivinhar. Escolha outro.
pin-mismatch = Os dois PINs não eram iguais. Escolha um PIN de novo.
pin-locked-title = Bloqueado por { $name } — digite seu PIN
pin-checking = Verificando o PIN…
pin-wrong = { $attempts ->
    [one] PIN errado. Resta 1 tentativa antes de encerrar a sessão.
   *[other] PIN errado. Restam { $attempts } tentativas antes de encerrar a sessão.
}
pin-signs-out-in = A sessão se encerra sozinha em { $time }.
pin-seconds = { $seconds } s
pin-minutes = { $minutes } min
pin-locked-keys = Enter desbloquear · { $key } Não é você? Entre

## The code screen's ways on, when the code is slow to come
way-new-code = Enviar um novo código por SMS
way-call-me = Me ligar com o código
way-ask-manager = Pedir ajuda a um gerente da loja
still-waiting = Ainda esperando o código?
# $digits: the last four digits of the number the code went to
still-waiting-check = Verifique se o telefone com final { $digits } está ligado e com sinal. Ou:
code-calling = Estamos ligando para ler um novo código

## Temporary access passes: the worker's field on the code screen, the manager's "Issue a one-time pass"

pass-use = Usar um passe do seu gerente
pass-back = Voltar ao código
pass-offer-hint = P: usar um passe do seu gerente
# $phone: the number, masked.
pass-prompt = Digite o passe que seu gerente deu para { $phone }
# $length: the pass's characters (10).
pass-hint = { $length } letras e números; maiúsculas e hífens não importam
pass-hint-exact = { $length } caracteres; maiúsculas importam
field-pass = Passe:
pass-rejected = Esse passe não funcionou — confira com seu gerente
pass-checking = Conferindo o passe…
pass-back-hint = Esc: voltar ao código
menu-issue-pass = Emitir um passe de uso único
manager-pass-title = Emitir um passe de uso único
manager-pass-prompt = O celular do funcionário: ele entra com ele e o passe
manager-pass-issuing = Emitindo um passe…
# $name: the worker's display name.
manager-pass-for = Passe de uso único para { $name }
manager-pass-valid = Vale uma vez, pelos próximos { $minutes } minutos. Mostrado só agora: leia em voz alta ou deixe copiar.
manager-pass-done-hint = Enter ou Esc: pronto (o passe sai da tela)
manager-pass-no-user = Ninguém que pode entrar aqui tem esse número
manager-pass-refused = O serviço de login não emitiu o passe
