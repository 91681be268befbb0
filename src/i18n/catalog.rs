//! (key, English, Romanian). `{}` marks a value filled in by `Catalog::format`, in order.

pub(super) const MESSAGES: &[(&str, &str, &str)] = &[
    // Layout
    ("app.name", "ANAF Portal", "Portal ANAF"),
    (
        "app.tagline",
        "e-Factura tokens, connected and kept alive",
        "Token-uri e-Factura, conectate și mereu valabile",
    ),
    ("nav.dashboard", "Dashboard", "Panou"),
    ("nav.logout", "Log out", "Deconectare"),
    ("nav.login", "Log in", "Autentificare"),
    ("nav.register", "Create account", "Creează cont"),
    ("nav.signed_in_as", "Signed in as", "Conectat ca"),
    ("nav.main", "Main menu", "Meniu principal"),
    ("lang.switch", "Language", "Limba"),
    ("lang.ro", "Română", "Română"),
    ("lang.en", "English", "English"),
    (
        "sandbox.banner",
        "Sandbox mode: ANAF is simulated. No real tokens are issued; configure ANAF_CLIENT_ID to connect to ANAF.",
        "Mod sandbox: ANAF este simulat. Nu se emit token-uri reale; configurați ANAF_CLIENT_ID pentru conectarea la ANAF.",
    ),
    (
        "footer.text",
        "Tokens are stored encrypted. Never share them by email.",
        "Token-urile sunt stocate criptat. Nu le trimiteți niciodată pe email.",
    ),
    (
        "role.admin",
        "platform administrator",
        "administrator platformă",
    ),
    ("role.support", "support staff", "suport"),
    ("role.user", "user", "utilizator"),
    // Login
    ("login.title", "Log in", "Autentificare"),
    (
        "login.intro",
        "Log in to manage your companies' ANAF e-Factura tokens.",
        "Autentificați-vă pentru a gestiona token-urile ANAF e-Factura ale firmelor dumneavoastră.",
    ),
    ("login.email", "Email", "Email"),
    ("login.password", "Password", "Parolă"),
    ("login.submit", "Log in", "Autentificare"),
    ("login.no_account", "No account yet?", "Nu aveți cont?"),
    (
        "login.failed",
        "Wrong email or password.",
        "Email sau parolă greșită.",
    ),
    (
        "login.rate_limited",
        "Too many failed attempts. Try again in {} minutes.",
        "Prea multe încercări eșuate. Încercați din nou peste {} minute.",
    ),
    ("login.welcome", "Welcome back.", "Bine ați revenit."),
    (
        "login.session_ended",
        "Your session has ended. Please log in again.",
        "Sesiunea a expirat. Vă rugăm să vă autentificați din nou.",
    ),
    (
        "logout.done",
        "You have been logged out.",
        "Ați fost deconectat.",
    ),
    // Registration
    ("register.title", "Create an account", "Creează un cont"),
    (
        "register.intro",
        "Accountants and company staff: one account for all the companies you look after.",
        "Contabili și angajați: un singur cont pentru toate firmele de care vă ocupați.",
    ),
    ("register.email", "Email", "Email"),
    ("register.password", "Password", "Parolă"),
    (
        "register.password_hint",
        "8 to 128 characters. A passphrase of several words is easiest to remember.",
        "Între 8 și 128 de caractere. O frază din mai multe cuvinte se reține cel mai ușor.",
    ),
    ("register.confirm", "Confirm password", "Confirmă parola"),
    ("register.submit", "Create account", "Creează cont"),
    (
        "register.have_account",
        "Already have an account?",
        "Aveți deja cont?",
    ),
    (
        "register.closed",
        "Registration is closed on this portal. Ask an administrator for an account.",
        "Înregistrarea este închisă pe acest portal. Cereți un cont unui administrator.",
    ),
    (
        "register.mismatch",
        "The two passwords differ.",
        "Cele două parole diferă.",
    ),
    (
        "register.email_taken",
        "An account with this email already exists.",
        "Există deja un cont cu acest email.",
    ),
    (
        "register.done",
        "Your account is ready.",
        "Contul dumneavoastră este gata.",
    ),
    (
        "register.done_admin",
        "Your account is ready. As the first user you are the platform administrator.",
        "Contul dumneavoastră este gata. Fiind primul utilizator, sunteți administratorul platformei.",
    ),
    (
        "email.missing",
        "Enter your email address.",
        "Introduceți adresa de email.",
    ),
    (
        "email.too_long",
        "The email address is too long.",
        "Adresa de email este prea lungă.",
    ),
    (
        "email.invalid",
        "This is not a valid email address.",
        "Aceasta nu este o adresă de email validă.",
    ),
    (
        "password.too_short",
        "The password must have at least 8 characters.",
        "Parola trebuie să aibă cel puțin 8 caractere.",
    ),
    (
        "password.too_long",
        "The password must have at most 128 characters.",
        "Parola poate avea cel mult 128 de caractere.",
    ),
    (
        "password.too_common",
        "This password is among the most common ones and easy to guess. Choose another.",
        "Această parolă este printre cele mai folosite și ușor de ghicit. Alegeți alta.",
    ),
    // Dashboard
    ("dashboard.title", "Dashboard", "Panou"),
    ("dashboard.account", "Your account", "Contul dumneavoastră"),
    ("dashboard.email", "Email", "Email"),
    ("dashboard.role", "Role", "Rol"),
    ("dashboard.member_since", "Member since", "Membru din"),
    ("dashboard.next_title", "How it works", "Cum funcționează"),
    (
        "dashboard.next_1",
        "Add a company by its CIF.",
        "Adăugați o firmă după CIF.",
    ),
    (
        "dashboard.next_2",
        "Press Connect ANAF: the certificate holder authenticates at ANAF with the qualified certificate.",
        "Apăsați Conectare ANAF: titularul certificatului se autentifică la ANAF cu certificatul calificat.",
    ),
    (
        "dashboard.next_3",
        "The portal stores the tokens encrypted, checks the SPV rights and refreshes them before they expire.",
        "Portalul stochează token-urile criptat, verifică drepturile SPV și le reîmprospătează înainte de expirare.",
    ),
    // Errors
    (
        "error.back_home",
        "Back to the start page",
        "Înapoi la pagina de start",
    ),
    (
        "error.request_id",
        "Request id (quote it to support)",
        "Cod cerere (menționați-l la suport)",
    ),
    (
        "error.400.title",
        "The request could not be understood",
        "Cererea nu a putut fi înțeleasă",
    ),
    (
        "error.400.message",
        "Something in the request was malformed. Go back and try again.",
        "Ceva din cerere era greșit. Reveniți și încercați din nou.",
    ),
    ("error.403.title", "Not allowed", "Acces interzis"),
    (
        "error.403.message",
        "You may not do this, or the form had expired. Reload the page and try again.",
        "Nu aveți dreptul să faceți acest lucru sau formularul a expirat. Reîncărcați pagina și încercați din nou.",
    ),
    ("error.404.title", "Page not found", "Pagina nu există"),
    (
        "error.404.message",
        "There is nothing at this address.",
        "Nu există nimic la această adresă.",
    ),
    ("error.405.title", "Method not allowed", "Metodă nepermisă"),
    (
        "error.405.message",
        "This address does not accept this kind of request.",
        "Această adresă nu acceptă acest tip de cerere.",
    ),
    ("error.413.title", "Too large", "Prea mare"),
    (
        "error.413.message",
        "What you sent is larger than the portal accepts.",
        "Ce ați trimis depășește limita acceptată de portal.",
    ),
    ("error.429.title", "Too many requests", "Prea multe cereri"),
    (
        "error.429.message",
        "Too many attempts in a short time. Wait a few minutes, then try again.",
        "Prea multe încercări într-un timp scurt. Așteptați câteva minute, apoi încercați din nou.",
    ),
    (
        "error.500.title",
        "Something went wrong",
        "A apărut o eroare",
    ),
    (
        "error.500.message",
        "The portal could not complete the request. Nothing was changed; please try again.",
        "Portalul nu a putut finaliza cererea. Nu s-a modificat nimic; încercați din nou.",
    ),
];
