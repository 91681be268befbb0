### anaf-portal: mesaje în limba română.
### Generated from src/i18n/catalog.rs; ids are the old keys with "." replaced by "-".

## Layout

app-name = Portal ANAF
app-tagline = Token-uri e-Factura, conectate și mereu valabile
nav-dashboard = Panou
nav-api_keys = Chei API
nav-logout = Deconectare
nav-login = Autentificare
nav-register = Creează cont
nav-signed_in_as = Conectat ca
nav-main = Meniu principal
lang-switch = Limba
lang-ro = Română
lang-en = English
sandbox-banner = Mod sandbox: ANAF este simulat. Nu se emit token-uri reale; configurați ANAF_CLIENT_ID pentru conectarea la ANAF.
footer-text = Token-urile sunt stocate criptat. Nu le trimiteți niciodată pe email.
role-admin = administrator platformă
role-support = suport
role-user = utilizator

## Login

login-title = Autentificare
login-intro = Autentificați-vă pentru a gestiona token-urile ANAF e-Factura ale firmelor dumneavoastră.
login-email = Email
login-password = Parolă
login-submit = Autentificare
login-no_account = Nu aveți cont?
login-failed = Email sau parolă greșită.
login-rate_limited = Prea multe încercări eșuate. Încercați din nou peste { $minutes ->
         [one] un minut
         [few] { $minutes } minute
        *[other] { $minutes } de minute
    }.
login-welcome = Bine ați revenit.
login-session_ended = Sesiunea a expirat. Vă rugăm să vă autentificați din nou.
logout-done = Ați fost deconectat.

## Registration

register-title = Creează un cont
register-intro = Contabili și angajați: un singur cont pentru toate firmele de care vă ocupați.
register-email = Email
register-password = Parolă
register-password_hint = Între 8 și 128 de caractere. O frază din mai multe cuvinte se reține cel mai ușor.
register-confirm = Confirmă parola
register-submit = Creează cont
register-have_account = Aveți deja cont?
register-closed = Înregistrarea este închisă pe acest portal. Cereți un cont unui administrator.
register-mismatch = Cele două parole diferă.
email-missing = Introduceți adresa de email.
email-too_long = Adresa de email este prea lungă.
email-invalid = Aceasta nu este o adresă de email validă.
password-too_short = Parola trebuie să aibă cel puțin 8 caractere.
password-too_long = Parola poate avea cel mult 128 de caractere.
password-too_common = Această parolă este printre cele mai folosite și ușor de ghicit. Alegeți alta.

## Dashboard

dashboard-title = Panou
dashboard-account = Contul dumneavoastră
dashboard-email = Email
dashboard-role = Rol
dashboard-member_since = Membru din
dashboard-next_title = Cum funcționează
dashboard-next_1 = Adăugați o firmă după CIF.
dashboard-next_2 = Apăsați Conectare ANAF: titularul certificatului se autentifică la ANAF cu certificatul calificat.
dashboard-next_3 = Portalul stochează token-urile criptat, verifică drepturile SPV și le reîmprospătează singur când le vine rândul; tabelul de token-uri arată când expiră fiecare.

## Common

common-dash = —
common-cancel = Renunță
common-back = Înapoi
nav-tokens = Token-uri
list-per_page = Rânduri pe pagină
list-pages = Pagini
list-previous = Înapoi
list-next = Înainte
list-page_of = Pagina { $page } din { $pages }
list-search_label = Caută
list-search_placeholder = CIF sau denumire
list-search = Caută
list-no_match = Nimic nu corespunde căutării.
time-today = astăzi
time-in_days = peste { $days ->
         [one] o zi
         [few] { $days } zile
        *[other] { $days } de zile
    }
time-days_ago = acum { $days ->
         [one] o zi
         [few] { $days } zile
        *[other] { $days } de zile
    }

## CIF

cif-missing = Introduceți CIF-ul firmei.
cif-not_digits = CIF-ul conține doar cifre, opțional precedate de RO.
cif-length = CIF-ul are între 2 și 10 cifre.
cif-check_digit = Cifra de control a CIF-ului este greșită: verificați dacă ați tastat corect.

## Companies

dashboard-companies = Firmele mele
dashboard-empty = Nicio firmă încă. Adăugați una după CIF, mai sus.
company-add_title = Adaugă o firmă
company-cif = CIF
company-name = Firmă
company-name_optional = Denumire (opțional)
company-add = Adaugă firma
company-added = Firma { $cif } a fost adăugată. Acum conectați-o la ANAF.
company-already_yours = O firmă cu acest CIF este deja în lista dumneavoastră.
company-anaf_connection = Conexiunea ANAF
company-connect = Conectare ANAF
company-reconnect = Reconectare ANAF
company-connect_hint = Conectare ANAF deschide pagina de autentificare ANAF: este nevoie de calculatorul în care este conectat certificatul calificat (token USB) al unei persoane cu drepturi SPV pentru acest CIF.
company-not_connected_explained = Firma nu are încă un token ANAF. Apăsați Conectare ANAF pentru a obține unul.
company-no_rights_explained = Token-ul funcționează, dar ANAF spune că certificatul nu are drepturi SPV pentru acest CIF. Cauze obișnuite: certificatul a fost reînnoit, iar cel nou nu este încă înrolat în SPV pentru această firmă; firma a retras drepturile titularului; sau nu au fost acordate niciodată. Reprezentantul legal al firmei le acordă la ANAF (formularul 150/270); după aproximativ 24 de ore apăsați Reîmprospătează (sau reconectați-vă cu certificatul înrolat) și portalul verifică din nou.
company-reconnect_explained = ANAF nu mai acceptă acest token. Reconectați-vă cu certificatul pentru a obține unul nou.
diagnosis-title = Funcționează e-Factura?
diagnosis-works = e-Factura funcționează pentru această firmă.
diagnosis-works_until = e-Factura funcționează deocamdată, dar este nevoie de o intervenție.
diagnosis-broken = e-Factura nu funcționează pentru această firmă.
diagnosis-not_connected = e-Factura nu este conectată pentru această firmă.
diagnosis-not_connected-why = Portalul nu are niciun token ANAF pentru acest CIF.
diagnosis-not_connected-todo = Un administrator al firmei apasă „Conectare ANAF” pe calculatorul în care este introdus certificatul calificat al unei persoane cu drepturi SPV pentru acest CIF.
diagnosis-reconnect_needed-why = ANAF nu mai acceptă acest token (a fost revocat, înlocuit de o conectare mai nouă sau certificatul s-a schimbat).
diagnosis-no_rights-why = ANAF acceptă token-ul, dar certificatul său nu are drepturi SPV pentru acest CIF, așa că apelurile e-Factura pentru această firmă sunt refuzate.
diagnosis-expired-why = Token-ul a expirat la { $at } și nimic din ce este păstrat nu îl poate reînnoi.
diagnosis-refresh_failing-why = Reîmprospătarea token-ului eșuează din { $since }; token-ul actual funcționează până la { $until }.
diagnosis-reconnect_before-why = Token-ul de reîmprospătare nu poate fi reînnoit după { $by }: apoi ANAF cere din nou certificatul.
diagnosis-works-why = Token-ul este valabil până la { $until }; portalul îl reîmprospătează singur la { $due }.
diagnosis-works-why_plain = Token-ul este valabil până la { $until }.
diagnosis-rights_unknown = ANAF nu a răspuns încă dacă certificatul are drepturi SPV pentru acest CIF.
diagnosis-nothing_to_do = Nimic.
diagnosis-now = acum
diagnosis-why = De ce
diagnosis-todo = Ce trebuie făcut
diagnosis-by_when = Până când
diagnosis-certificate = Titularul certificatului
diagnosis-last_success = Ultimul apel reușit la ANAF
diagnosis-anaf_said = Răspunsul ANAF: „{ $text }”
company-history = Istoric
company-history_empty = Nu s-a întâmplat nimic încă.
history-company_created = Firmă adăugată
history-connect_started = Conectare ANAF începută
history-connect_succeeded = Conectat la ANAF
history-connect_failed = Conectare ANAF eșuată
history-token_refreshed = Token reîmprospătat
history-token_refresh_failed = Reîmprospătare eșuată
history-token_deleted = Token șters
history-token_attached = Token atașat (același certificat)
history-token_revealed = Token de acces afișat
history-members_changed = Membri modificați
history-job_started = Reîmprospătare în masă pornită
history-user_changed = Cont de utilizator modificat
history-audit_viewed = Jurnal de audit consultat
history-token_saved_via_api = Token salvat prin API
history-other = Altă acțiune

## API keys

api_keys-title = Chei API
api_keys-intro = Alte programe (un ERP, un job de facturare) citesc și gestionează token-urile firmelor dumneavoastră prin API-ul REST cu una dintre aceste chei, trimisă ca Authorization: Bearer. O cheie acționează cu drepturile dumneavoastră.
api_keys-docs = Documentația API
api_keys-create_title = Creează o cheie
api_keys-name = Nume
api_keys-name_placeholder = de ex. ERP producție
api_keys-create = Creează cheia
api_keys-new_key = Noua cheie API
api_keys-shown_once = Copiați cheia acum: este afișată doar de această dată. Portalul păstrează doar o amprentă a ei.
api_keys-list_title = Cheile dumneavoastră
api_keys-empty = Nu aveți nicio cheie API.
api_keys-prefix = Cheia începe cu
api_keys-created = Creată
api_keys-last_used = Ultima utilizare
api_keys-never = niciodată
api_keys-actions = Acțiuni
api_keys-revoke = Revocă
api_keys-revoke_confirm = Revocați această cheie? Programele care o folosesc se vor opri imediat.
api_keys-revoked = Cheia a fost revocată.
api_keys-name_missing = Dați cheii un nume, ca să știți unde este folosită.
api_keys-name_too_long = Numele poate avea cel mult 100 de caractere.
api_keys-permissions = Ce poate face cheia
api_keys-permission-efactura_read = e-Factura: citește listele, descarcă facturile, starea încărcărilor, validarea și PDF-ul
api_keys-permission-efactura_write = e-Factura: încarcă facturi și mesaje
api_keys-permission-tokens_read = token-uri: citește starea și expirarea lor
api_keys-permission-tokens_write = token-uri: le adaugă, le reîmprospătează și le șterge
api_keys-permission-tokens_secret = token-uri: citește token-ul de acces decriptat
api_keys-viewer_reads = La o firmă unde sunteți vizualizator, cheia doar citește, orice ați bifa aici.
api_keys-companies = Pentru ce firme
api_keys-companies_all = toate firmele mele (și cele adăugate mai târziu)
api_keys-companies_some = doar firmele bifate mai jos
api_keys-no_companies = Nu aveți încă firme.
api_keys-viewer_only = vizualizator: doar citire
api_keys-may = Poate
api_keys-only_for = doar pentru
api_keys-permission_missing = Bifați cel puțin un lucru pe care cheia îl poate face.
api_keys-permission_unknown = Una dintre permisiuni nu este cunoscută portalului; reîncărcați pagina și încercați din nou.
api_keys-company_missing = Bifați cel puțin o firmă sau alegeți toate firmele.
api_keys-company_unknown = Una dintre firmele bifate nu (mai) este a dumneavoastră; reîncărcați pagina și încercați din nou.

## Token status

status-not_connected = neconectat
status-connected = conectat, expiră în { $days ->
         [one] 1 zi
         [few] { $days } zile
        *[other] { $days } de zile
    }
status-expiring_soon = expiră curând: { $days ->
         [one] o zi rămasă
         [few] { $days } zile rămase
        *[other] { $days } de zile rămase
    }
status-expired = expirat
status-reconnect_needed = necesită reconectare
status-no_rights = fără drepturi SPV pentru acest CIF
rights-granted = drepturi SPV confirmate
rights-denied = fără drepturi SPV
rights-unknown = încă necunoscute (se verifică din nou în decurs de o zi)
rights-checked_at = verificat { $at }; se verifică din nou săptămânal și după fiecare reîmprospătare

## Tokens

tokens-title = Toate token-urile mele
tokens-empty = Nicio firmă nu este încă conectată la ANAF.
token-status = Stare
token-access_expires = Token de acces expiră
token-refresh_expires = Token de reîmprospătare expiră
token-certificate = Certificat
token-certificate_serial = Serie certificat
token-certificate_issuer = Emitent certificat
token-created = Creat
token-last_refreshed = Ultima reîmprospătare
token-refresh_state = Reîmprospătare
tokens-export = Exportă CSV
token-rights = Drepturi SPV
token-actions = Acțiuni
token-last_error = Ultima eroare
refresh-scheduled = Se reîmprospătează automat de la { $due }.
refresh-refreshing = O reîmprospătare este în curs.
refresh-retrying = Ultima reîmprospătare a eșuat; se reîncearcă la { $next }.
refresh-failing = Reîmprospătările eșuează din { $since }; se reîncearcă de două ori pe zi, următoarea la { $next }. Dacă ANAF funcționează pentru celelalte firme, reconectați-o pe aceasta.
refresh-reconnect_before = Reconectați-vă înainte de { $by }: nicio reîmprospătare nu poate ține token-ul activ după această dată (ANAF nu prelungește token-ul de reîmprospătare sau nu a fost salvat unul). Apăsați Conectare ANAF cu certificatul care are drepturi SPV pentru acest CIF.
token-refresh = Reîmprospătează
token-delete = Șterge
token-raw_tokens_off = Acest portal nu afișează token-uri ANAF: programele apelează e-Factura prin poarta portalului, cu o cheie API.
token-reveal = Afișează token-ul de acces
token-no_refresh_token = niciunul (nu poate fi reîmprospătat)
token-no_refresh_token_long = Token-ul a fost salvat fără token de reîmprospătare, deci nu poate fi reîmprospătat: reconectați-vă înainte să expire.
token-refreshed = Token reîmprospătat: un nou token de acces a fost salvat.
token-refresh_reconnect = ANAF a refuzat definitiv token-ul de reîmprospătare. Reconectați-vă cu certificatul.
token-refresh_failed = Reîmprospătarea nu s-a finalizat ({ $reason }). Token-ul este neschimbat; încercați din nou mai târziu.
token-refresh_in_progress = Reîmprospătarea este încă în curs: ANAF răspunde greu. Rezultatul va fi salvat când sosește; reîncărcați pagina peste un minut.
token-refresh_unknown = ANAF nu a răspuns la timp ({ $reason }). Este posibil să fi înlocuit totuși token-ul; portalul nu poate ști încă. Reîmprospătați din nou peste câteva minute: răspunsul va lămuri.
token-refresh_spooled = Reîmprospătat. Baza de date era indisponibilă, așa că noul token este păstrat în siguranță și va fi salvat imediat ce baza de date revine.
token-refresh_interrupted = ANAF nu mai acceptă acest token: o reîmprospătare a fost întreruptă la { $at }, iar ANAF înlocuise deja token-ul. Reconectați firma cu certificatul ei.
token-delete_title = Ștergeți token-ul?
token-delete_question = Ștergeți token-ul ANAF al firmei { $company_name } (CIF { $cif })?
token-delete_explained = Portalul cere ANAF revocarea lui, apoi îl șterge aici. Sincronizarea e-Factura pentru această firmă se oprește până la o nouă conectare.
token-delete_confirm = Da, șterge token-ul
token-deleted_revoked = Token șters. ANAF a confirmat revocarea token-ului de acces și a celui de reîmprospătare.
token-deleted_not_revoked = Token șters aici. ANAF nu a confirmat revocarea token-ului de acces și nici a celui de reîmprospătare: dacă pot fi compromise, trimiteți-le la ANAF pentru blocare.
token-deleted_access_not_revoked = Token șters. ANAF a confirmat revocarea token-ului de reîmprospătare, dar nu și a celui de acces: dacă poate fi compromis, trimiteți-l la ANAF pentru blocare.
token-deleted_refresh_not_revoked = Token șters. ANAF a confirmat revocarea token-ului de acces, dar nu și a celui de reîmprospătare: dacă poate fi compromis, trimiteți-l la ANAF pentru blocare.
token-deleted_revoked_access = Token șters. ANAF a confirmat revocarea token-ului de acces (token-ul nu avea token de reîmprospătare).
token-detached = Token-ul nu mai servește această firmă; continuă să le servească pe celelalte.
token-detach_explained = Token-ul servește și { $companies ->
         [one] o altă firmă
         [few] alte { $companies } firme
        *[other] alte { $companies } de firme
    }: nu este revocat, ci doar nu mai servește această firmă. Sincronizarea e-Factura pentru ea se oprește până la o nouă conectare.
token-reveal_title = Token de acces
token-access_token = Token de acces (JWT)
token-reveal_warning = Oricine deține acest token poate acționa în SPV pentru firmă până la expirare. Lipiți-l doar în programe de încredere; nu îl trimiteți pe email. Afișarea este înregistrată.
token-copy = Copiază
token-copied = Copiat

## Connect ANAF

connect-done = Conectat la ANAF. Token-ul este stocat criptat și are drepturi SPV pentru acest CIF.
connect-done_no_rights = Conectat la ANAF, dar acest certificat nu are drepturi SPV pentru acest CIF. Vedeți indicațiile de mai jos.
connect-done_rights_unknown = Conectat la ANAF. Drepturile SPV nu au putut fi verificate acum; se verifică din nou în decurs de o zi.
connect-failed-title = Conectarea la ANAF nu s-a finalizat
connect-denied-title = ANAF nu a primit niciun certificat
connect-denied-message = Autentificarea la ANAF a fost anulată sau nu a fost prezentat niciun certificat calificat.
connect-denied-explained = ANAF nu a autorizat conectarea și a spus de ce: „{ $description }”. Nu s-a salvat nimic.
connect-wrong_issuer = Răspunsul a venit de la alt server de autorizare decât cel configurat pentru acest portal. Nu s-a schimbat și nu s-a salvat nimic; reluați cu Conectare ANAF.
connect-denied-hint_token = Conectați token-ul USB cu certificatul calificat și verificați că driverul este instalat.
connect-denied-hint_restart = Browserele rețin alegerea certificatului: închideți toate ferestrele browserului și reporniți pentru a vedea din nou cererea de certificat.
connect-denied-hint_rights = Titularul certificatului trebuie să fie înrolat în SPV pentru această firmă.
connect-session_ended = Sesiunea în portal s-a încheiat cât timp erați la ANAF. Autentificați-vă și apăsați din nou Conectare ANAF.
connect-state_unknown = Acest răspuns ANAF nu aparține niciunei conectări începute aici. Reîncepeți de pe pagina firmei.
connect-state_expired = Conectarea a durat mai mult de 10 minute și a expirat. Reîncepeți.
connect-state_reused = Acest răspuns ANAF a fost deja folosit. Fiecare conectare se poate finaliza o singură dată.
connect-state_foreign = Această conectare a fost începută din altă sesiune sau de alt utilizator. Reîncepeți aici.
connect-anaf_error = ANAF a răspuns cu eroarea „{ $error_code }”.
connect-code_missing = Răspunsul ANAF nu conține un cod de autorizare.
connect-code_expired = Codul de autorizare ANAF a expirat sau a fost deja folosit (este valabil circa un minut). Încercați din nou.
connect-invalid_client = ANAF a refuzat datele de client ale portalului: setările ANAF ale operatorului (client id, secret sau callback URL) sunt greșite. Contactați administratorul portalului.
connect-invalid_request = ANAF a refuzat cererea. Contactați administratorul portalului dacă se repetă.
connect-anaf_unavailable = ANAF nu a putut finaliza conectarea: { $error }. Nu s-a salvat nimic; încercați din nou peste câteva minute.
connect-token_unusable = Token-ul primit de la ANAF nu poate fi folosit: { $reason }.
connect-already_stored = Acest token este deja salvat.
connect-retry = Reîncercați Conectare ANAF
connect-back_to_company = Înapoi la firmă
anaf-unreachable = ANAF nu a putut fi contactat
anaf-timeout = ANAF nu a răspuns la timp
anaf-server = ANAF a răspuns cu o eroare (HTTP { $status })
anaf-rate_limited = ANAF limitează cererile
anaf-malformed = Răspunsul ANAF nu a putut fi interpretat
anaf-dropped = Conexiunea cu ANAF s-a închis înainte de răspuns
anaf-invalid_client = ANAF a refuzat datele de client ale portalului
anaf-unusable_token = Token-ul nou primit de la ANAF nu poate fi folosit
anaf-invalid_grant = ANAF a refuzat cererea: „{ $text }”
anaf-invalid_grant_silent = ANAF a refuzat cererea fără să spună de ce
anaf-invalid_request = ANAF a refuzat solicitarea: „{ $text }”
anaf-invalid_request_silent = ANAF a refuzat solicitarea fără să spună de ce

## Roles, members, bulk, jobs, support, admin

nav-support = Suport
nav-users = Utilizatori
nav-audit = Jurnal de audit
filter-all = Toate
filter-by_status = Filtrează după stare
filter-not_connected = Neconectate
filter-connected = Conectate
filter-expiring_soon = Expiră curând
filter-expired = Expirate
filter-reconnect_needed = Necesită reconectare
filter-no_rights = Fără drepturi SPV
bulk-title = Adaugă mai multe firme deodată
bulk-label = CIF-uri, câte unul pe rând
bulk-hint = Opțional o denumire după virgulă: RO18547290, Firma SRL; fără ea, denumirea vine din registrul public ANAF. Cel mult 500 de rânduri.
bulk-submit = Adaugă toate
bulk-summary = { $added ->
        [one] o firmă adăugată
       *[other] { $added } adăugate
    } · { $rejected ->
        [one] una respinsă
       *[other] { $rejected } respinse
    }
bulk-already_yours = deja în lista dumneavoastră
bulk-duplicate_line = repetată în această listă
jobs-refresh_expiring = Reîmprospătează toate cele scadente
jobs-title = Reîmprospătare token-uri
jobs-running = În curs: motorul de reîmprospătare face un apel ANAF pentru fiecare token, câteva odată. Pagina se actualizează singură.
jobs-finished = Finalizat.
jobs-failures = Nereîmprospătate și de ce
jobs-progress = { $done ->
         [one] { $done } din { $total } procesat
        *[other] { $done } din { $total } procesate
    }: { $refreshed ->
         [one] { $refreshed } reîmprospătat
        *[other] { $refreshed } reîmprospătate
    }, { $failed ->
         [one] { $failed } eșuat
        *[other] { $failed } eșuate
    }.
jobs-nothing_to_do = Niciun token reîmprospătabil nu este scadent pentru reîmprospătare.
members-title = Membri
members-role = Rol în firmă
members-role_admin = administrator firmă
members-role_viewer = vizualizator
members-you = dumneavoastră
members-make_admin = Fă administrator
members-make_viewer = Doar vizualizare
members-remove = Elimină
members-add_title = Invitați un membru
members-add = Trimite invitația
members-add_hint = Persoana vede invitația când este autentificată în acest portal cu acest email (sau după ce se înregistrează cu el) și o acceptă sau o refuză. Vizualizatorii văd starea și expirarea; administratorii conectează, reîmprospătează, șterg și afișează token-uri și gestionează membrii.
members-invited = Invitația pentru { $email } a fost salvată. Persoana o vede în portal când este autentificată cu acest email și o acceptă sau o refuză.
invitations-pending_title = Invitații în așteptare
invitations-sent_at = Invitat la
invitations-cancel = Retrage
invitations-cancelled = Invitația a fost retrasă.
invitations-title = Invitații pentru dumneavoastră
invitations-offer = { $inviter } vă invită la { $company } (CIF { $cif }) ca { $role }.
invitations-offer_anonymous = Sunteți invitat la { $company } (CIF { $cif }) ca { $role }.
invitations-accept = Acceptă
invitations-decline = Refuză
invitations-accepted = Acum sunteți membru al firmei { $company }.
invitations-declined = Invitația a fost refuzată.
invitations-gone = Această invitație nu mai este în așteptare.
invitations-has_cif = Lista dumneavoastră are deja o firmă cu CIF-ul { $cif }. O persoană păstrează o singură înregistrare a unui CIF: părăsiți-o mai întâi pe aceea (din pagina ei de membri) sau refuzați această invitație.
members-many_title = Acordați cuiva acces la mai multe firme
members-many_link = Invitați o persoană la mai multe dintre firmele dumneavoastră deodată
members-many_companies = { $count ->
        [one] Firma pe care o administrați
        [few] Cele { $count } firme pe care le administrați
       *[other] Cele { $count } de firme pe care le administrați
    }
members-many_hint = Bifați firmele la care invitați persoana. Fiecare devine o invitație, pe care persoana le acceptă pe toate deodată din panoul său.
members-many_no_companies = Nu administrați încă nicio firmă: adăugați mai întâi o firmă.
members-many_submit = Trimite invitațiile
members-many_none_chosen = Bifați cel puțin o firmă.
members-many_invited = { $count ->
        [0] Nicio invitație nouă pentru { $email }.
        [one] { $email } este invitat(ă) la o firmă.
        [few] { $email } este invitat(ă) la { $count } firme.
       *[other] { $email } este invitat(ă) la { $count } de firme.
    }
members-many_already = { $count ->
        [one] Este deja membru al uneia dintre firmele bifate.
        [few] Este deja membru al { $count } dintre firmele bifate.
       *[other] Este deja membru al { $count } dintre firmele bifate.
    }
members-remove_title = Eliminarea unui membru
members-remove_question = Eliminați { $email } din { $company }?
members-remove_self_question = Părăsiți { $company }? Nu veți mai vedea această firmă și nici token-ul ei.
members-remove_explained = Persoana nu mai vede firma, starea token-ului sau istoricul și nu mai primește notificări despre ea. Token-ul nu este atins. Un administrator o poate invita din nou oricând.
members-remove_confirm = Elimină
invitations-accept_all = { $count ->
        [one] Acceptă invitația
        [few] Acceptă toate cele { $count } invitații
       *[other] Acceptă toate cele { $count } de invitații
    }
invitations-accepted_all = { $count ->
        [0] Nu a fost acceptată nicio invitație.
        [one] Ați acceptat o invitație.
        [few] Ați acceptat { $count } invitații.
       *[other] Ați acceptat { $count } de invitații.
    }
members-changed = Membrii au fost actualizați.
members-last_admin = O firmă păstrează cel puțin un administrator: numiți mai întâi pe altcineva administrator.
members-already_member = Această persoană este deja membru.
support-title = Suport: toate firmele
support-intro = Vizualizare doar în citire a stării token-urilor tuturor firmelor. Secretele nu sunt afișate niciodată aici.
support-search_placeholder = CIF, denumire sau email utilizator
support-admins = Administratori firmă
support-same_cif = Alte înregistrări ale acestui CIF
support-same_cif_hint = Fiecare persoană are propria înregistrare a unui CIF (firma însăși, contabilul ei), cu membrii și token-ul ei.
admin-users_title = Utilizatori
admin-search_placeholder = Parte dintr-un email
admin-state = Stare
admin-enabled = activ
admin-disabled = dezactivat
admin-enable = Activează
admin-disable = Dezactivează
admin-save_role = Salvează
admin-user_changed = { $email } a fost actualizat.
admin-last_admin = Ultimul administrator activ nu poate fi retrogradat sau dezactivat.
admin-audit_title = Jurnal de audit
admin-when = Când
admin-filter_actor = Autor (email)
admin-filter_company = Firmă (CIF)
admin-filter_action = Acțiune
admin-filter_outcome = Rezultat
admin-filter_from = De la
admin-filter_until = Până la
admin-success = reușit
admin-failure = eșuat
admin-detail = Detalii

## Errors

error-back_home = Înapoi la pagina de start
error-request_id = Cod cerere (menționați-l la suport)
error-400-title = Cererea nu a putut fi înțeleasă
error-400-message = Ceva din cerere era greșit. Reveniți și încercați din nou.
error-403-title = Acces interzis
error-403-message = Nu aveți dreptul să faceți acest lucru sau formularul a expirat. Reîncărcați pagina și încercați din nou.
error-404-title = Pagina nu există
error-404-message = Nu există nimic la această adresă.
error-405-title = Metodă nepermisă
error-405-message = Această adresă nu acceptă acest tip de cerere.
error-408-title = Prea încet
error-408-message = Ce ați trimis nu a ajuns la timp. Vă rugăm să încercați din nou.
error-413-title = Prea mare
error-413-message = Ce ați trimis depășește limita acceptată de portal.
error-429-title = Prea multe cereri
error-429-message = Prea multe încercări într-un timp scurt. Așteptați câteva minute, apoi încercați din nou.
error-500-title = A apărut o eroare
error-500-message = Portalul nu a putut finaliza cererea. Nu s-a modificat nimic; încercați din nou.
error-503-title = Indisponibil temporar
error-503-message = Portalul nu își poate accesa baza de date în acest moment. Nu s-a modificat nimic; încercați din nou peste un minut.
error-token_unreadable-title = Token-ul salvat nu poate fi citit
error-token_unreadable-message = Valorile sale criptate nu aparțin acestui token: au fost modificate în baza de date sau cheia cu care au fost sigilate nu este configurată. Nu s-a afișat și nu s-a modificat nimic. Conectați din nou ANAF pentru a înlocui token-ul și anunțați administratorul.

lifecycle-title = Motorul de reîmprospătare
lifecycle-intro = Unde se află fiecare token față de motorul de reîmprospătare, de ce eșuează reîmprospătările, cât din bugetul de apeluri ANAF a folosit fiecare minut și când a căutat fiecare motor ultima dată de lucru. Doar citire; niciun secret nu este afișat.
lifecycle-tokens = Token-uri salvate
lifecycle-due_now = De reîmprospătat acum
lifecycle-due_this_week = De reîmprospătat în 7 zile
lifecycle-by_state = După starea reîmprospătării
lifecycle-by_status = După stare
lifecycle-state = Stare
lifecycle-count = Token-uri
lifecycle-state-scheduled = programat (reîmprospătat la termen)
lifecycle-state-refreshing = în curs de reîmprospătare
lifecycle-state-retrying = se reîncearcă după o eroare trecătoare
lifecycle-state-failing = reîmprospătarea eșuează (încercat de două ori pe zi)
lifecycle-state-reconnect_before = reconectare necesară până la o dată
lifecycle-state-stopped = nimic de încercat (reconectare, expirat sau fără token de reîmprospătare)
lifecycle-causes = Reîmprospătări care eșuează, după cauză
lifecycle-cause = Ultima eroare
lifecycle-no_failures = Nicio reîmprospătare nu eșuează.
lifecycle-budget = Bugetul de apeluri ANAF
lifecycle-budget_limit = Cel mult { $limit } apeluri pe minut către ANAF, toate instanțele la un loc; apelurile motorului sunt eșalonate pe parcursul minutului, cele ale oamenilor au întâietate.
lifecycle-paused = ANAF a răspuns 429: toate apelurile așteaptă până la { $until }.
lifecycle-budget_idle = Niciun apel către ANAF în ultimele 15 minute.
lifecycle-minute = Minut (ora României)
lifecycle-calls = Apeluri
lifecycle-instances = Motoare
lifecycle-no_instances = Niciun motor de reîmprospătare nu a rulat în ultima zi (ANAF_PORTAL_WORKER=off peste tot?).
lifecycle-host = Gazdă
lifecycle-instance_state = Stare
lifecycle-started = Pornit
lifecycle-last_tick = Ultima verificare
lifecycle-next_tick = Următoarea verificare
lifecycle-last_sweep_heading = Ultima trecere
lifecycle-last_sweep = { $refreshed } reîmprospătate, { $failed } eșuate, { $probed } verificări de drepturi
lifecycle-instance_running = rulează
lifecycle-instance_sweeping = în trecere din { $since }
lifecycle-instance_stopped = oprit la { $at }
lifecycle-instance_silent = tăcut: ultimul semn de viață la { $at }
nav-lifecycle = Motorul de reîmprospătare

## Evenimente, notificări și email

lifecycle-email = Email
lifecycle-email_state = { $waiting } în așteptare; { $failed } abandonate în ultima zi (vezi mail_outbox.last_error).
lifecycle-email_off = Emailul este oprit: ANAF_PORTAL_SMTP_URL nu este setat.

time-romania = ora României
event-connected-title = Conectat la ANAF
event-connected-what = A fost salvat un token nou pentru această firmă: de acum portalul îl menține activ.
event-connected-todo = {""}
event-refreshed-title = Token reîmprospătat
event-refreshed-what = Portalul a reînnoit la ANAF token-ul acestei firme.
event-refreshed-todo = {""}
event-expiring-title = { $days ->
        [one] Acționați în cel mult o zi
        [few] Acționați în cel mult { $days } zile
       *[other] Acționați în cel mult { $days } de zile
    }
event-expiring-what = Nicio reîmprospătare nu poate menține token-ul acestei firme după data de mai jos: ANAF nu prelungește token-ul de reîmprospătare, nu a fost salvat unul sau reîmprospătările eșuează.
event-expiring-todo = Apăsați „Conectare ANAF” pe pagina firmei, cu certificatul care are drepturi SPV pentru acest CIF, înainte de data de mai jos.
event-refresh_failing-title = Reîmprospătările eșuează
event-refresh_failing-what = De câteva zile portalul nu poate reîmprospăta token-ul acestei firme; încearcă în continuare de două ori pe zi.
event-refresh_failing-todo = Dacă ANAF funcționează pentru celelalte firme, reconectați-o pe aceasta cu certificatul înainte să expire token-ul de acces.
event-reconnect_needed-title = Este necesară reconectarea
event-reconnect_needed-what = ANAF nu mai acceptă token-ul de reîmprospătare al acestei firme: e-Factura se oprește pentru ea când expiră token-ul de acces.
event-reconnect_needed-todo = Apăsați „Conectare ANAF” pe pagina firmei, cu certificatul care are drepturi SPV pentru acest CIF.
event-rights_lost-title = Fără drepturi SPV pentru acest CIF
event-rights_lost-what = Token-ul funcționează, dar ANAF spune că certificatul său nu are drepturi SPV pentru acest CIF: e-Factura este blocată pentru această firmă.
event-rights_lost-todo = De obicei certificatul a fost reînnoit și cel nou nu este înrolat în SPV pentru această firmă, sau drepturile au fost retrase. Reprezentantul legal le acordă la ANAF (formularul 150/270); după circa 24 de ore apăsați „Reîmprospătează” sau reconectați-vă cu certificatul înrolat.
event-deleted-title = Token șters
event-deleted-what = Token-ul acestei firme a fost șters din portal.
event-deleted-todo = {""}
event-detached-title = Token detașat
event-detached-what = Token-ul nu mai servește această firmă: unii dintre administratorii ei nu îl puteau folosi prin firma pentru care a fost conectat, iar doar titularul certificatului poate fi de acord să-l primească.
event-detached-todo = Rugați titularul certificatului să apese Conectare ANAF pentru această firmă sau trimiteți-i un link de autorizare.
event-webhook_disabled-title = Endpoint webhook dezactivat
event-webhook_disabled-what = Livrările către unul dintre endpointurile dumneavoastră de webhook au eșuat timp de 5 zile, așa că portalul a încetat să le mai trimită.
event-webhook_disabled-todo = Reparați receptorul, apoi reactivați endpointul pe pagina de webhookuri a firmei; livrările pierdute pot fi retrimise de acolo.
attention-title = { $count ->
        [one] O firmă are nevoie de dumneavoastră
        [few] { $count } firme au nevoie de dumneavoastră
       *[other] { $count } de firme au nevoie de dumneavoastră
    }
attention-details = Detalii
attention-more = { $count ->
        [one] Încă una:
        [few] Încă { $count }:
       *[other] Încă { $count } de firme:
    }
attention-reconnect_needed = ANAF a refuzat token-ul: este necesară reconectarea
attention-reconnect_needed-todo = Conectați din nou ANAF cu certificatul.
attention-no_rights = fără drepturi SPV pentru acest CIF
attention-no_rights-todo = Înrolați certificatul în SPV pentru acest CIF, apoi apăsați „Reîmprospătează”.
attention-refresh_failing = reîmprospătările eșuează din { $since }
attention-refresh_failing-todo = Dacă ANAF funcționează pentru alte firme, reconectați-o pe aceasta.
attention-expired = token-ul a expirat
attention-expired-todo = Conectați din nou ANAF cu certificatul.
attention-reconnect_before = reconectare necesară înainte de { $by }
attention-reconnect_before-todo = Conectați din nou ANAF înainte de această dată.
digest-subject = { $count ->
        [0] nimic nu necesită atenția dumneavoastră
        [one] o firmă necesită atenție
        [few] { $count } firme necesită atenție
       *[other] { $count } de firme necesită atenție
    }
digest-intro = Aceste firme au nevoie de o persoană; cele mai urgente primele.
digest-all_well = Token-urile tuturor firmelor funcționează din nou; nimic nu necesită intervenția dumneavoastră acum.
digest-company = Firmă
digest-problem = Problemă
digest-todo = Ce este de făcut
digest-changes = Ce s-a schimbat de la ultimul rezumat
mail-footer = Primiți acest email pentru că vă ocupați de aceste firme în portal.
mail-footer_settings = Schimbați cum primiți emailuri
mail-anaf_said = ANAF a răspuns:
mail-what_to_do = Ce este de făcut:
mail-act_by = Termen:
mail-open_company = Deschideți firma
mail-test_subject = email de test
mail-test_body = Emailurile portalului ajung la dumneavoastră: aici veți primi notificările despre token-urile firmelor.
nav-notifications = Notificări
nav-notifications_unread = { $count ->
        [one] o notificare necitită
        [few] { $count } notificări necitite
       *[other] { $count } de notificări necitite
    }
notifications-title = Notificări
notifications-empty = Nimic încă: aici veți vedea când un token al firmelor dumneavoastră este conectat, reîmprospătat, aproape de expirare sau în dificultate.
notifications-mark_read = Marchează ca citită
notifications-mark_all_read = Marchează toate ca citite
notifications-unread = necitită
notifications-older = Notificări mai vechi
notifications-settings = Setări email
notifications-act_by = termen: { $by }
settings-notifications-title = Notificări prin email
settings-notifications-intro = Clopoțelul arată toate evenimentele firmelor dumneavoastră. Emailul este pentru ce poate rezolva doar o persoană: un token care trebuie reconectat, reîmprospătări care eșuează, drepturi SPV pierdute, un termen până la care trebuie acționat.
settings-notifications-off_unset = Emailul este oprit în acest portal: administratorul nu a configurat un server SMTP (ANAF_PORTAL_SMTP_URL). Alegerea dumneavoastră se aplică după aceea.
settings-notifications-immediate = Imediat: un email per token când i se schimbă starea, cel mult unul pe zi per token
settings-notifications-digest = Rezumat zilnic la { $at }: un singur email cu toate firmele care necesită atenție, doar când s-a schimbat ceva
settings-notifications-off = Oprit: doar clopoțelul
settings-notifications-language = Limba emailurilor
settings-notifications-save = Salvează
settings-notifications-saved = Setările de email au fost salvate.
settings-notifications-invalid = Alegeți una dintre opțiunile oferite.
settings-notifications-test = Trimite un email de test
settings-notifications-test_sent = A fost trimis un email de test la { $email }.
settings-notifications-test_failed = Emailul de test nu a putut fi trimis: { $error }
settings-notifications-test_unavailable = Emailul este oprit în acest portal, deci nu se poate trimite un email de test.

## Webhooks
history-webhooks_changed = Webhook-uri modificate
webhooks-title = Webhook-uri
webhooks-intro = Portalul trimite fiecare eveniment al token-ului acestei firme către adresele de mai jos, semnat conform Standard Webhooks (antetele webhook-id, webhook-timestamp, webhook-signature). O livrare eșuată este reîncercată timp de 24 de ore; o adresă care eșuează 5 zile la rând este dezactivată și veți fi anunțat.
webhooks-secret_title = Secretul de semnare
webhooks-secret_shown_once = Copiați acum secretul de semnare: este afișat doar de această dată. Receptorul dumneavoastră verifică semnătura fiecărei cereri cu el.
webhooks-list_title = Adrese
webhooks-empty = Nicio adresă deocamdată.
webhooks-url = URL
webhooks-events = Evenimente
webhooks-state = Stare
webhooks-created = Înregistrată
webhooks-note = Descriere
webhooks-description = Descriere (opțional)
webhooks-create_title = Adăugați o adresă
webhooks-create = Adăugați adresa
webhooks-signing_hint = Adresa trebuie să răspundă cu un cod 2xx în cel mult 10 secunde. Redirecționările nu sunt urmate. Adresele loopback, private și link-local sunt refuzate.
webhooks-state_active = Activă
webhooks-state_failing = Eșuează din { $since }
webhooks-state_disabled = Dezactivată la { $at }
webhooks-kind-connected = Token conectat
webhooks-kind-refreshed = Token reîmprospătat
webhooks-kind-expiring = Token aproape de expirare
webhooks-kind-refresh_failing = Reîmprospătările eșuează
webhooks-kind-reconnect_needed = Este necesară reconectarea
webhooks-kind-rights_lost = Drepturi SPV pierdute
webhooks-kind-deleted = Token șters
webhooks-url_missing = Introduceți URL-ul adresei.
webhooks-url_too_long = URL-ul are mai mult de 2000 de caractere.
webhooks-url_malformed = Acesta nu este un URL valid.
webhooks-url_scheme = URL-ul trebuie să înceapă cu https:// sau http://.
webhooks-url_userinfo = URL-ul nu poate conține un nume de utilizator sau o parolă.
webhooks-url_private = { $address } este o adresă loopback, privată sau link-local: webhook-urile se trimit doar către adrese publice.
webhooks-events_missing = Alegeți cel puțin un eveniment.
webhooks-events_unknown = Alegeți evenimente din listă.
webhooks-description_too_long = Descrierea are mai mult de 200 de caractere.
webhooks-too_many = Această firmă are deja 10 adrese: ștergeți mai întâi una.
webhooks-duplicate = Această firmă are deja o adresă cu acest URL.
webhooks-endpoint_title = Adresă webhook
webhooks-enable = Reactivați
webhooks-enabled = Adresa este din nou activă. Folosiți Retrimiteți pentru livrările pierdute.
webhooks-already_enabled = Adresa este deja activă.
webhooks-delete = Ștergeți adresa
webhooks-delete_confirm = Ștergeți această adresă și jurnalul ei de livrări?
webhooks-deleted = Adresa a fost ștearsă.
webhooks-deliveries_title = Livrări
webhooks-no_deliveries = Nimic trimis încă: livrările apar aici când token-ul firmei se schimbă.
webhooks-event = Eveniment
webhooks-delivery_status = Stare
webhooks-attempts = Încercări
webhooks-last_answer = Ultimul răspuns
webhooks-next_attempt = următoarea încercare la
webhooks-delivery_pending = În așteptare
webhooks-delivery_delivered = Livrată
webhooks-delivery_failed = Eșuată
webhooks-redeliver = Retrimiteți
webhooks-redelivered = Mesajul a fost pus din nou la coadă; pleacă în cel mult un minut, cu același webhook-id.
webhooks-redelivered_when_enabled = Mesajul a fost pus din nou la coadă; pleacă după ce adresa este reactivată.

## History details

history-detail-rights_confirmed = drepturi SPV confirmate
history-detail-no_rights = fără drepturi SPV: „{ $anaf }”
history-detail-rights_unknown = drepturi necunoscute: „{ $anaf }”
history-detail-revoked = revocat la ANAF
history-detail-not_revoked = ANAF nu a confirmat revocarea
history-detail-revocation_pending = revocare cerută la ANAF; încă fără răspuns
history-detail-revoked_refresh_only = ANAF a confirmat doar revocarea token-ului de reîmprospătare
history-detail-revoked_access_only = ANAF a confirmat doar revocarea token-ului de acces
history-detail-no_refresh_token = fără token de reîmprospătare
history-detail-through_api = prin API (cheia { $key })
history-detail-role_changed = { $who } are acum rolul { $role }
history-detail-invited = { $who } ca { $role }
history-detail-removed = { $who } a fost eliminat(ă)
history-detail-accepted = { $who } a acceptat invitația ca { $role }

# Denumirea și adresa firmelor din registrul public ANAF; un administrator al firmei poate scrie denumirea.
company-address = Adresă
company-name_title = Denumirea firmei
company-name_hint = Când registrul public ANAF cunoaște CIF-ul, completează denumirea și adresa. O denumire scrisă aici nu este înlocuită niciodată.
company-save_name = Salvează denumirea
company-renamed = Denumirea a fost salvată.
company-name_empty = Scrieți denumirea firmei.
company-name_too_long = Denumirea unei firme are cel mult 200 de caractere.
company-name_control = Denumirea firmei nu poate conține rânduri noi sau caractere de control.
company-lookup_pending = Denumirea este căutată în registrul public ANAF…
company-lookup_not_found = Registrul public ANAF nu are nicio firmă cu acest CIF; un administrator al firmei îi poate scrie denumirea.
company-lookup_failing = Registrul public ANAF nu a răspuns; este întrebat din nou la { $at }. Între timp, un administrator al firmei poate scrie denumirea.
history-company_renamed = Denumire schimbată
history-company_name_from_registry = Denumire completată din registrul ANAF

## Authorization links
history-authorization_link = Link de autorizare
links-dashboard_link = Linkuri de autorizare: titularul certificatului conectează ANAF fără cont
links-title = Linkuri de autorizare
links-intro = Titularul certificatului calificat (de obicei administratorul firmei, cu token-ul USB) conectează ANAF pentru firmele dumneavoastră printr-un link de unică folosință, fără cont în portal.
links-new_title = Creați un link de autorizare
links-send_for_company = Trimiteți un link de autorizare titularului certificatului
links-companies_legend = { $count ->
        [one] Firma pe care o administrați
        [few] Cele { $count } firme pe care le administrați
       *[other] Cele { $count } de firme pe care le administrați
    }
links-no_companies = Nu administrați încă nicio firmă: adăugați mai întâi o firmă.
links-companies_missing = Bifați cel puțin o firmă.
links-days = Valabil (zile)
links-days_invalid = { $max ->
        [one] Alegeți o valabilitate de o zi.
        [few] Alegeți o valabilitate între o zi și { $max } zile.
       *[other] Alegeți o valabilitate între o zi și { $max } de zile.
    }
links-note = Mesaj pentru titular (opțional)
links-note_hint = Titularul îl vede pe pagina linkului. Fără parole sau coduri.
links-note_too_long = { $max ->
        [one] Mesajul poate avea cel mult un caracter.
        [few] Mesajul poate avea cel mult { $max } caractere.
       *[other] Mesajul poate avea cel mult { $max } de caractere.
    }
links-note_control = Mesajul conține caractere de control; scrieți-l ca text obișnuit.
links-email = Trimiteți linkul prin email la (opțional)
links-email_off = Portalul nu trimite emailuri (SMTP nu este configurat): copiați linkul după creare și trimiteți-l dumneavoastră.
links-create = Creează linkul
links-too_many = { $max ->
        [one] Aveți deja un link în așteptare. Revocați-l sau așteptați să fie folosit ori să expire.
        [few] Aveți deja { $max } linkuri în așteptare, cât se poate. Revocați unul sau așteptați să fie folosit ori să expire.
       *[other] Aveți deja { $max } de linkuri în așteptare, cât se poate. Revocați unul sau așteptați să fie folosit ori să expire.
    }
links-created_title = Linkul de autorizare a fost creat
links-shown_once = Copiați linkul acum: este afișat doar de această dată. Portalul păstrează doar o amprentă a lui. Oricine are linkul poate conecta ANAF pentru aceste firme până la expirare.
links-url = Linkul pentru titularul certificatului
links-valid_until = Valabil până la { $at } (ora României), pentru o singură conectare reușită.
links-qr_label = Codul QR al linkului de autorizare
links-qr_caption = Titularul poate scana codul cu telefonul, dar conectarea trebuie făcută pe calculatorul la care este conectat token-ul USB.
links-follow = Urmăriți linkul: starea și firmele acoperite
links-mail_subject = Cerere de conectare ANAF e-Factura
links-mail_intro = { $creator } vă roagă să conectați ANAF e-Factura pentru firmele sale în portal, cu certificatul dumneavoastră calificat.
links-mail_open = Deschideți linkul de mai jos pe calculatorul la care este conectat token-ul USB:
links-mail_promise = Portalul primește acces e-Factura pentru aceste firme; nu primește niciodată certificatul, codul PIN sau parola.
links-mail_sent = Linkul a fost trimis prin email la { $email }.
links-mail_failed = Emailul nu a putut fi trimis ({ $error }). Copiați linkul și trimiteți-l dumneavoastră.
links-active_note = { $max ->
        [one] Cel mult un link poate aștepta deodată.
        [few] Cel mult { $max } linkuri pot aștepta deodată.
       *[other] Cel mult { $max } de linkuri pot aștepta deodată.
    }
links-empty = Nu ați creat niciun link de autorizare.
links-state = Stare
links-companies = Firme
links-created = Creat
links-expires = Expiră
links-opened = Deschis prima dată
links-attempted = Ultima conectare
links-completed = Finalizat
links-revoked = Revocat
links-sent_to = Trimis prin email la
links-more = { $count ->
        [one] încă una
        [few] încă { $count }
       *[other] încă { $count }
    }
links-state_created = creat
links-state_opened = deschis
links-state_completed = finalizat
links-state_expired = expirat
links-state_revoked = revocat
links-opened_at = deschis pe { $at }
links-completed_at = finalizat pe { $at }
links-expired_at = expirat pe { $at }
links-revoked_at = revocat pe { $at }
links-one_title = Link de autorizare
links-live_hint = Pagina se reîncarcă singură la fiecare 10 secunde cât timp linkul așteaptă.
links-revoke = Revocă linkul
links-revoke_confirm = Revocați acest link? Titularul nu îl va mai putea folosi.
links-revoked_done = Linkul a fost revocat.
links-not_pending = Linkul nu mai așteaptă: a fost folosit, revocat sau a expirat.
links-outcome_waiting = în așteptare
links-outcome_covered = acoperită
links-outcome_no_rights = neacoperită
links-outcome_unknown = neverificată
links-no_rights_explained = Certificatul nu are drepturi SPV pentru CIF { $cif }. Titularul trebuie să fie înrolat în SPV pentru această firmă (sau firma să fie conectată cu certificatul altei persoane).
links-unknown_explained = Drepturile SPV nu au putut fi verificate: { $said } Reîncercați mai târziu.
links-holder_title = Conectare ANAF e-Factura
links-holder_asks = { $count ->
        [one] { $email } vă roagă să conectați ANAF e-Factura pentru această firmă:
        [few] { $email } vă roagă să conectați ANAF e-Factura pentru aceste { $count } firme:
       *[other] { $email } vă roagă să conectați ANAF e-Factura pentru aceste { $count } de firme:
    }
links-holder_note = Mesaj:
links-holder_expires = Linkul este valabil până la { $at } (ora României).
links-holder_retry = Certificatul folosit data trecută nu avea drepturi SPV pentru niciuna dintre aceste firme, așa că nu s-a salvat nimic. Puteți reîncerca cu alt certificat.
links-holder_what_title = Ce se întâmplă
links-holder_will = Portalul primește acces e-Factura (un token ANAF) pentru firmele la care certificatul dumneavoastră are drepturi SPV.
links-holder_will_not = Portalul nu primește niciodată certificatul, codul PIN sau parola dumneavoastră: le introduceți doar la ANAF.
links-holder_check_title = Verificați mai întâi
links-holder_check_token = Token-ul USB este conectat la acest calculator și driverul lui este instalat.
links-holder_check_spv = Certificatul este înrolat în SPV. După reînnoirea certificatului trebuie înrolat din nou, iar ANAF poate avea nevoie de până la 24 de ore.
links-holder_check_prompt = Dacă nu apare cererea de alegere a certificatului, închideți toate ferestrele browserului și încercați din nou.
links-holder_connect = Conectare ANAF
links-gone_used_title = Linkul a fost deja folosit
links-gone_used = Acest link a fost folosit deja pentru o conectare reușită și nu mai poate fi folosit. Dacă mai este nevoie de o conectare, cereți un link nou de la { $email }.
links-gone_expired_title = Linkul a expirat
links-gone_expired = Acest link a expirat. Cereți un link nou de la { $email }.
links-gone_revoked_title = Linkul a fost revocat
links-gone_revoked = Cel care a creat linkul l-a revocat. Dacă este o greșeală, cereți un link nou de la { $email }.
links-gone_disabled_title = Linkul nu mai este valabil
links-gone_disabled = Acest link nu mai este valabil, deoarece contul persoanei care l-a creat este dezactivat. Dacă mai este nevoie de o conectare, cereți un link nou unui administrator al firmei.
links-done_title = Conectarea ANAF s-a finalizat
links-done_message = { $count ->
        [one] Certificatul are drepturi SPV pentru { $covered } din firma cerută. Token-ul este păstrat criptat de portal; nu trebuie să mai faceți nimic. Puteți închide această pagină.
        [few] Certificatul are drepturi SPV pentru { $covered } din cele { $count } firme cerute. Token-ul este păstrat criptat de portal; nu trebuie să mai faceți nimic. Puteți închide această pagină.
       *[other] Certificatul are drepturi SPV pentru { $covered } din cele { $count } de firme cerute. Token-ul este păstrat criptat de portal; nu trebuie să mai faceți nimic. Puteți închide această pagină.
    }
links-done_none_title = Certificatul nu are drepturi SPV pentru aceste firme
links-done_none_message = Nu s-a salvat nimic, iar linkul rămâne valabil: deschideți-l din nou și reîncercați cu alt certificat, înrolat în SPV pentru aceste firme.
links-failed_title = Conectarea la ANAF nu s-a finalizat
links-failed_retry = Linkul rămâne valabil dacă nu a fost folosit: deschideți-l din nou și apăsați Conectare ANAF.
links-callback_unknown = Acest răspuns ANAF nu aparține niciunei conectări începute printr-un link. Deschideți din nou linkul primit și apăsați Conectare ANAF.
links-callback_expired = Conectarea a durat mai mult de 10 minute și a expirat. Deschideți din nou linkul primit și apăsați Conectare ANAF.
links-callback_reused = Acest răspuns ANAF a fost deja folosit. Fiecare conectare se poate finaliza o singură dată.
links-callback_foreign = Conectarea a fost începută în alt browser. Deschideți linkul primit în acest browser și apăsați Conectare ANAF.
links-busy = O altă conectare prin acest link se finalizează chiar acum (poate într-o altă filă). Așteptați un minut și deschideți din nou linkul.
sharing-also_serves = Același token servește și:
sharing-offers_title = Alte certificate cu drepturi SPV pentru această firmă
sharing-offers_explained = ANAF a confirmat că aceste certificate au drepturi SPV și pentru această firmă. Atașați unul ca să servească firma de acum (în locul token-ului pe care îl are, dacă are unul).
sharing-attach = Atașează
sharing-attached = Token atașat: servește de acum și această firmă.
sharing-attach_no_rights = ANAF spune acum că acest certificat nu are drepturi SPV pentru firmă: nu a fost atașat.
sharing-attach_unknown = ANAF nu a putut confirma acum drepturile: token-ul nu a fost atașat. Încercați mai târziu.
sharing-holder_unknown = titular necunoscut
coverage-title = Acoperire: firme × certificate
coverage-explained = Ce certificat servește fiecare firmă. O firmă fără un token care funcționează are nevoie de o conectare sau de un link de autorizare.
coverage-summary = { $uncovered ->
         [0] Toate cele { $total } firme au un token care funcționează.
        *[other] { $uncovered } din { $total } firme nu au un token care funcționează.
    }
coverage-company = Firma
coverage-no_certificates = Niciun certificat nu servește încă firmele dumneavoastră.
coverage-served = servește
coverage-offered = poate servi
coverage-not_covered = fără token funcțional
coverage-dashboard_link = Ce certificat servește fiecare firmă

## Confirmarea adresei de email
register-check_mailbox = Verificați căsuța de email. Dacă adresa este nouă aici, i-am trimis un link care o confirmă: autentificați-vă, apoi deschideți linkul (funcționează 24 de ore). Dacă adresa are deja un cont, titularul lui a primit în schimb o notă.
verify-mail_subject = Confirmați adresa de email
verify-mail_intro = Cineva (sperăm că dumneavoastră) a creat un cont în portal cu această adresă de email.
verify-mail_open = Deschideți acest link fiind autentificat în acel cont, pentru a confirma adresa (funcționează o singură dată, 24 de ore):
verify-mail_not_you = Dacă nu ați fost dumneavoastră, ignorați acest mesaj: contul rămâne neconfirmat, nu vede nicio invitație și nu primește emailuri de notificare.
register-attempt_subject = Cineva a încercat să vă înregistreze adresa
register-attempt_intro = Cineva a încercat să creeze un cont în portal cu această adresă de email, care are deja unul. Nu s-a schimbat nimic.
register-attempt_todo = Dacă ați fost dumneavoastră, autentificați-vă cu parola:
register-attempt_not_you = Dacă nu ați fost dumneavoastră, nu trebuie să faceți nimic.
verify-banner = Confirmați adresa de email ({ $email }) cu linkul trimis la ea: până atunci invitațiile rămân ascunse și portalul nu vă trimite emailuri de notificare.
verify-resend = Trimite un link nou
verify-done = Adresa de email este confirmată.
verify-invalid = Acest link de confirmare nu funcționează: a fost folosit sau a expirat, ori aparține altui cont. Autentificați-vă în contul pentru care a fost trimis sau cereți un link nou.
verify-already = Adresa de email este deja confirmată.
verify-sent = Un link nou de confirmare este pe drum spre căsuța dumneavoastră.
verify-too_many = Au fost trimise trei linkuri în ultima oră. Folosiți-l pe cel mai nou sau încercați mai târziu.
verify-no_email = Acest portal nu trimite emailuri: cereți unui administrator al platformei să vă confirme adresa.
verify-send_failed = Emailul nu a putut fi trimis acum. Încercați din nou peste câteva minute.
admin-verify = Confirmă emailul
admin-verified_done = Adresa de email a contului este confirmată.
admin-email_verified = email confirmat
admin-email_unverified = email neconfirmat

## Căsuța de email a modului sandbox
sandbox-mailbox_link = Emailuri simulate
sandbox_mail-title = Căsuța sandbox
sandbox_mail-intro = Mod sandbox fără server SMTP: fiecare email pe care portalul l-ar fi trimis se află aici, vizibil oricui. Niciunul nu a plecat de pe acest calculator.
sandbox_mail-empty = Niciun email încă.
sandbox_mail-sent = Trimis
sandbox_mail-to = Către
sandbox_mail-subject = Subiect
sandbox_mail-links = Linkurile din email
sandbox_mail-text = Text
settings-notifications-test_unverified = Confirmați mai întâi adresa de email: până atunci portalul nu îi trimite decât linkul de confirmare.
links-mail_unverified = Linkul nu a fost trimis prin email: portalul trimite linkuri doar de la o adresă confirmată. Confirmați-o pe a dumneavoastră sau copiați linkul și trimiteți-l singur.
settings-notifications-sandbox = Mod sandbox fără SMTP: emailurile pe care portalul vi le trimite ajung în căsuța sandbox; niciunul nu pleacă de pe acest calculator.
lifecycle-email_sandbox = Căsuța sandbox: ANAF_PORTAL_SMTP_URL nu este setat, așa că fiecare email este păstrat pe pagina căsuței sandbox în loc să fie trimis.
sharing-attach_would_widen = Nu a fost atașat: { $people } ar primi acest token și, prin el, e-Factura pentru toate firmele acoperite de certificat, fără acordul titularului. Rugați titularul certificatului să apese Conectare ANAF pentru această firmă sau trimiteți-i un link de autorizare.
sharing-offer_would_widen = Atașarea i-ar da token-ul lui { $people }, care nu îl poate folosi azi: doar titularul certificatului poate fi de acord, cu o Conectare ANAF pentru această firmă.
sharing-offer_send_link = Trimiteți titularului un link de autorizare
coverage-attach_offers = Atașează token-urile oferite unde niciunul nu funcționează
coverage-attach_offers_hint = Fiecare firmă fără token care funcționează primește un token al cărui certificat are drepturi confirmate de ANAF acolo, dacă asta nu îl dă nimănui care nu îl poate folosi deja; ANAF este întrebat o dată pentru fiecare firmă.
coverage-attached = { $count ->
    [0] Nu a fost atașat niciun token.
    [one] Atașat la o firmă.
    [few] Atașat la { $count } firme.
   *[other] Atașat la { $count } de firme.
}
coverage-attach_need_consent = { $count ->
    [one] O firmă are nevoie de acordul titularului certificatului (pagina ei spune cine ar primi acces).
    [few] { $count } firme au nevoie de acordul titularului certificatului (paginile lor spun cine ar primi acces).
   *[other] { $count } de firme au nevoie de acordul titularului certificatului (paginile lor spun cine ar primi acces).
}
coverage-attach_not_confirmed = { $count ->
    [one] Pentru o firmă ANAF nu a confirmat drepturile.
    [few] Pentru { $count } firme ANAF nu a confirmat drepturile.
   *[other] Pentru { $count } de firme ANAF nu a confirmat drepturile.
}
coverage-attach_left = { $count ->
    [one] Încă o firmă rămâne pentru următoarea apăsare.
    [few] Încă { $count } firme rămân pentru următoarea apăsare.
   *[other] Încă { $count } de firme rămân pentru următoarea apăsare.
}

## Recuperarea contului, setările contului, sesiuni
settings-nav = Setări
login-forgot = Ați uitat parola?
login-attempts_left = { $count ->
        [one] Mai aveți o încercare
       *[other] Mai aveți { $count } încercări
    }: apoi autentificarea în acest cont de aici se blochează pentru { $minutes ->
        [one] un minut
        [few] { $minutes } minute
       *[other] { $minutes } de minute
    }.
login-locked_now = Autentificarea în acest cont de aici este blocată acum pentru { $minutes ->
        [one] un minut
        [few] { $minutes } minute
       *[other] { $minutes } de minute
    }. Dacă ați uitat parola, cereți una nouă.
forgot-title = Ați uitat parola?
forgot-intro = Scrieți adresa de email a contului. Îi trimitem un link care setează o parolă nouă (funcționează o singură dată, 30 de minute).
forgot-submit = Trimiteți linkul
forgot-back = Înapoi la autentificare
forgot-no_email = Acest portal nu trimite emailuri: cereți unui administrator al platformei un link de resetare a parolei.
forgot-sent = Dacă această adresă are cont aici, un link care setează o parolă nouă este pe drum către ea. Funcționează o singură dată, 30 de minute. Nu a sosit nimic? Căutați în dosarul spam sau cereți din nou peste câteva minute.
forgot-invalid_email = Scrieți o adresă de email întreagă, de exemplu ana@firma.ro.
reset-title = Alegeți o parolă nouă
reset-intro = Parola nouă a contului { $email }.
reset-new_password = Parola nouă
reset-ends_sessions = Toate sesiunile contului se încheie: autentificați-vă din nou peste tot cu parola nouă.
reset-submit = Setați parola
reset-gone_title = Acest link nu funcționează
reset-gone = Linkul a fost deja folosit, a expirat (un link trimis prin email funcționează 30 de minute) sau nu a fost emis niciodată. Cereți unul nou.
reset-ask_again = Cereți un link nou
reset-done_title = Parola a fost schimbată
reset-done = Toate sesiunile contului au fost încheiate. Autentificați-vă cu parola nouă.
reset-mail_subject = Setați o parolă nouă
reset-mail_intro = Cineva (sperăm că dumneavoastră) a cerut o parolă nouă pentru contul dumneavoastră de pe portal.
reset-mail_open = Deschideți acest link pentru a o alege (funcționează o singură dată, 30 de minute):
reset-mail_not_you = Dacă nu ați fost dumneavoastră, ignorați acest email: parola rămâne aceeași.
password-changed_subject = Parola a fost schimbată
password-changed_intro = Parola contului dumneavoastră de pe portal tocmai a fost schimbată.
password-changed_sessions = Celelalte sesiuni ale contului au fost încheiate. Dacă nu ați fost dumneavoastră, setați imediat o parolă nouă din această pagină:
password-changed_not_you = Apoi anunțați un administrator al platformei: jurnalul de audit arată de unde a venit schimbarea.
email_change-mail_subject = Confirmați noua adresă de email
email_change-mail_intro = Cineva (sperăm că dumneavoastră) a cerut ca un cont de pe portal să treacă pe această adresă de email.
email_change-mail_open = Deschideți acest link, autentificat în acel cont, pentru a încheia schimbarea (funcționează o singură dată, 24 de ore):
email_change-mail_not_you = Dacă nu ați fost dumneavoastră, ignorați acest email: nu se schimbă nimic.
email_changed-subject = Adresa de email a fost schimbată
email_changed-intro = Contul dumneavoastră de pe portal are acum adresa { $email }; aceasta nu mai este folosită la autentificare.
email_changed-not_you = Dacă nu ați fost dumneavoastră, cereți imediat o parolă nouă din această pagină și anunțați un administrator al platformei.
account-title = Cont
account-email_title = Adresa de email
account-email_current = Adresa dumneavoastră:
account-email_intro = Pentru a muta contul pe altă adresă, scrieți-o împreună cu parola actuală: trimitem noii adrese un link, iar contul se mută când îl deschideți (autentificat). Vechea adresă este anunțată.
account-new_email = Adresa de email nouă
account-current_password = Parola actuală
account-email_submit = Trimiteți linkul de confirmare
account-password_title = Parolă
account-password_intro = Schimbarea parolei încheie celelalte sesiuni; aceasta rămâne. Veți primi un email despre asta.
account-password_submit = Schimbați parola
account-language_title = Limbă
account-language_intro = Limba paginilor și a emailurilor pe care vi le trimite portalul; următoarele autentificări încep în ea.
account-current_missing = Scrieți parola actuală.
account-current_wrong = Parola actuală este greșită.
account-password_changed = { $count ->
        [0] Parola a fost schimbată.
        [one] Parola a fost schimbată, iar cealaltă sesiune a fost încheiată.
        [few] Parola a fost schimbată, iar celelalte { $count } sesiuni au fost încheiate.
       *[other] Parola a fost schimbată, iar celelalte { $count } de sesiuni au fost încheiate.
    }
account-email_invalid = Scrieți o adresă de email întreagă, de exemplu ana@firma.ro.
account-email_sent = Un link este pe drum către { $email }. Deschideți-l autentificat: atunci se schimbă adresa.
account-email_same = Aceasta este deja adresa dumneavoastră.
account-email_too_many = Au fost cerute trei schimbări în ultima oră. Folosiți cel mai nou link sau încercați mai târziu.
account-email_no_email = Acest portal nu trimite emailuri, deci noua adresă nu poate fi confirmată: cereți unui administrator al platformei.
account-email_changed = Adresa dumneavoastră este acum { $email }.
account-email_link_invalid = Acest link nu funcționează: a fost folosit sau a expirat, ori aparține altui cont.
account-email_taken = Adresa nu a putut fi dată contului dumneavoastră. Cereți un link nou sau folosiți altă adresă.
sessions-title = Sesiuni
sessions-intro = Unde este autentificat contul dumneavoastră. Încheiați orice sesiune pe care nu o recunoașteți și schimbați parola.
sessions-browser = Browser
sessions-address = Adresă
sessions-started = Începută
sessions-last_seen = Folosită ultima dată
sessions-this_one = aceasta
sessions-end = Încheiați
sessions-end_others = Încheiați toate celelalte sesiuni
sessions-ended_one = Sesiunea a fost încheiată.
sessions-ended_others = { $count ->
        [0] Nu era nicio altă sesiune.
        [one] O altă sesiune a fost încheiată.
        [few] Alte { $count } sesiuni au fost încheiate.
       *[other] Alte { $count } de sesiuni au fost încheiate.
    }
sessions-unknown_browser = Browser necunoscut
admin-reset_link = Link de resetare
admin-end_sessions = Încheiați sesiunile
admin-reset_link_title = Link de resetare a parolei
admin-reset_link_intro = Un link de unică folosință care setează o parolă nouă pentru { $email }. Predați-l personal (față în față sau la telefon): cine îl deschide alege parola contului. Funcționează o singură dată, 24 de ore.
admin-reset_link_once = Linkul este arătat doar acum. Emiterea unuia nou nu îl anulează pe acesta; parola nouă le închide pe amândouă.
admin-reset_link_disabled = Un cont dezactivat nu se poate autentifica: activați-l înainte de a emite un link de resetare.
admin-sessions_ended = { $count ->
        [one] O sesiune a lui { $email } a fost încheiată.
        [few] { $count } sesiuni ale lui { $email } au fost încheiate.
       *[other] { $count } de sesiuni ale lui { $email } au fost încheiate.
    }
## Autentificare în doi pași, reautentificare, politica
nav-security = Securitate
nav-policy = Politica în doi pași
login-factor_expired = Autentificarea a așteptat prea mult codul. Introduceți din nou parola.
dashboard-draft_restored = Sesiunea expirase, așa că nu s-a adăugat nimic. Ce ați scris este din nou în formular: apăsați din nou Adaugă.
security-title = Securitate
security-intro = Autentificare în doi pași: după parolă, un cod dintr-o aplicație de autentificare de pe telefon.
security-required = Rolul dumneavoastră cere autentificarea în doi pași. Configurați-o pentru a folosi în continuare portalul.
security-totp_title = Aplicația de autentificare
security-state_on = Autentificarea în doi pași este activă
security-state_off = Autentificarea în doi pași este oprită
security-off_explained = Oricine vă află parola se poate autentifica în locul dumneavoastră. Cu doi pași, ar avea nevoie și de telefonul dumneavoastră.
security-start = Configurați o aplicație de autentificare
security-scan = Scanați acest cod QR cu aplicația de autentificare (Google Authenticator, Microsoft Authenticator, FreeOTP, 1Password…).
security-qr_label = Cod QR pentru aplicația de autentificare
security-or_type = Sau introduceți această cheie în aplicație:
security-first_code = Codul de 6 cifre afișat de aplicație
security-confirm = Activați autentificarea în doi pași
security-already_on = Autentificarea în doi pași este deja activă.
security-enabled = Autentificarea în doi pași este activă. Păstrați codurile de recuperare de mai jos într-un loc sigur.
security-disabled = Autentificarea în doi pași este oprită.
security-codes_title = Codurile de recuperare
security-codes_shown_once = Fiecare cod vă autentifică o singură dată când nu aveți telefonul la îndemână. Sunt afișate doar acum: tipăriți-le sau păstrați-le într-un manager de parole.
security-codes_left = { $count ->
    [one] A mai rămas un cod de recuperare nefolosit.
    [few] Au mai rămas { $count } coduri de recuperare nefolosite.
   *[other] Au mai rămas { $count } de coduri de recuperare nefolosite.
}
security-recovery_left = { $count ->
    [0] Ați folosit ultimul cod de recuperare. Generați altele pe pagina Securitate.
    [one] Cod de recuperare folosit. A mai rămas unul: generați altele pe pagina Securitate.
    [few] Cod de recuperare folosit. Au mai rămas { $count }.
   *[other] Cod de recuperare folosit. Au mai rămas { $count }.
}
security-current_code = Un cod din aplicație sau un cod de recuperare
security-regenerate = Generați coduri de recuperare noi
security-disable = Opriți autentificarea în doi pași
security-code_wrong = Codul nu este corect. Verificați ora telefonului și introduceți codul afișat acum.
security-code_used = Codul a fost deja folosit. Așteptați următorul cod.
second_factor-title = Autentificare în doi pași
second_factor-intro = Introduceți codul de 6 cifre afișat de aplicația de autentificare.
second_factor-code = Cod
second_factor-submit = Autentificare
second_factor-recovery_hint = Nu aveți telefonul la îndemână? Introduceți unul dintre codurile de recuperare.
reauth-title = Confirmați că sunteți dumneavoastră
reauth-intro = Această acțiune dezvăluie un secret, iar ultima confirmare a fost acum mai bine de 10 minute. Introduceți din nou parola.
reauth-held = Formularul este păstrat: după confirmare îl veți vedea din nou și veți apăsa Continuă.
reauth-or_code = Sau un cod din aplicația de autentificare
reauth-submit = Confirmați
reauth-missing = Introduceți parola (sau un cod).
reauth-wrong_password = Parola nu este corectă.
reauth-continue_title = Confirmat
reauth-continue_intro = Apăsați Continuă pentru a termina ce ați început.
reauth-continue = Continuă
policy-title = Politica autentificării în doi pași
policy-intro = Cine trebuie să folosească autentificarea în doi pași. Cine este vizat și nu o are este dus să o configureze imediat după autentificare și nu poate face altceva până atunci.
policy-platform_admins = Administratorii platformei
policy-support_staff = Echipa de suport
policy-company_admins = Administratorii de firme (oricine este administrator la cel puțin o firmă)
policy-api_keys = Cheile API existente funcționează în continuare; chei noi se pot crea doar după activarea autentificării în doi pași.
policy-save = Salvați
policy-saved = Politica autentificării în doi pași a fost salvată.
twofactor-mail_subject = Securitatea autentificării s-a schimbat
twofactor-mail_enabled = Autentificarea în doi pași a fost activată pentru contul dumneavoastră.
twofactor-mail_disabled = Autentificarea în doi pași a fost oprită pentru contul dumneavoastră.
twofactor-mail_regenerated = Au fost generate coduri de recuperare noi pentru contul dumneavoastră; cele vechi nu mai funcționează.
twofactor-mail_not_you = Dacă nu ați fost dumneavoastră, autentificați-vă, schimbați parola și verificați imediat pagina Securitate.

## Chei de acces (passkeys)
passkeys-title = Chei de acces
passkeys-intro = O cheie de acces vă autentifică prin blocarea ecranului dispozitivului (amprentă, față sau PIN): ca al doilea pas după parolă sau chiar în locul parolei.
passkeys-unavailable = Cheile de acces cer ca portalul să fie accesat printr-un nume de domeniu (ANAF_PORTAL_BASE_URL, de exemplu http://localhost:8080 sau https://portal.firma.ro), nu printr-o adresă IP.
passkeys-name = Nume
passkeys-name_example = Laptop, telefon…
passkeys-added = Adăugată
passkeys-last_used = Folosită ultima dată
passkeys-add = Adăugați o cheie de acces
passkeys-create_intro = Apăsați butonul și urmați browserul: acesta cere dispozitivului să creeze cheia de acces.
passkeys-create = Creați cheia de acces
passkeys-remove = Eliminați
passkeys-remove_confirm = Eliminați această cheie de acces? Nu vă va mai autentifica.
passkeys-removed = Cheia de acces a fost eliminată.
passkeys-added_flash = Cheia de acces a fost adăugată. De acum vă autentifică.
passkeys-name_missing = Dați un nume cheii de acces, ca s-o puteți deosebi mai târziu.
passkeys-name_invalid = Folosiți cel mult 60 de caractere, fără rânduri noi.
passkeys-expired = Această cerere de cheie de acces nu mai este deschisă. Reîncărcați pagina și începeți din nou.
passkeys-duplicate = Această cheie de acces este deja înregistrată.
passkeys-failed = Cheia de acces nu a funcționat. Încercați din nou sau folosiți alt mod de autentificare.
passkeys-unsupported = Acest browser nu poate folosi chei de acces.
passkeys-refused = Această cheie de acces nu deschide niciun cont aici.
passkeys-or = sau
passkeys-sign_in = Autentificare cu o cheie de acces
passkeys-factor_intro = Confirmați cu cheia de acces.
passkeys-use = Folosiți cheia de acces
twofactor-mail_passkey_added = O cheie de acces a fost adăugată contului dumneavoastră.
twofactor-mail_passkey_removed = O cheie de acces a fost eliminată din contul dumneavoastră.
security-app_none = Cheile de acces sunt al doilea factor. O aplicație de autentificare poate fi și ea unul.

## The e-Factura gateway on a company's page
efactura-title = e-Factura prin portal
efactura-intro = Apelurile făcute azi (ora României) prin poarta e-Factura a portalului, față de limitele zilnice ANAF pentru acest CIF. Portalul refuză un apel înainte ca ANAF să-l refuze.
efactura-quota = Limita ANAF
efactura-used_today = Folosit azi
efactura-quota-lista_per_cif = listaMesajeFactura (lista mesajelor pe zile)
efactura-quota-lista_paginatie_per_cif = listaMesajePaginatieFactura (lista paginată)
efactura-quota-upload_rasp_per_cif = mesaje de la cumpărător încărcate (RASP)
efactura-quota-descarcare_per_message = descărcări ale unui mesaj
efactura-quota-stare_mesaj_per_upload = verificări ale stării unei încărcări
efactura-archived = Fișiere păstrate în arhiva portalului:
efactura-last_errors = Ultimele răspunsuri care nu au reușit
efactura-no_errors = Niciunul: toate apelurile prin portal au reușit.
efactura-anaf_said = ANAF a răspuns
efactura-outcome-ok = a reușit
efactura-outcome-no_messages = nu există mesaje în acea perioadă
efactura-outcome-no_rights = certificatul nu are drepturi SPV pentru acest CIF
efactura-outcome-limit_reached = s-a atins limita zilnică ANAF
efactura-outcome-download_expired = fișierul este mai vechi de 60 de zile și nu mai poate fi descărcat de la ANAF
efactura-outcome-not_found = ANAF nu cunoaște acest mesaj sau această încărcare
efactura-outcome-technical_error = ANAF a avut o eroare tehnică
efactura-outcome-firewall_page = firewall-ul ANAF a respins cererea
efactura-outcome-invalid_request = ANAF a respins cererea ca greșită
efactura-outcome-unauthorized = ANAF a refuzat token-ul
efactura-outcome-rate_limited = ANAF a răspuns că sunt prea multe apeluri pe minut
