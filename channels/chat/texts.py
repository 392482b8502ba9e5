"""What the chatbot and the chat say to visitors, in every supported language (the
project's way of translating built-in texts: a map of language -> text, as
``pbx.ivr.prompts.MESSAGES`` and the forms' ``TEXT``). ``{name}`` fields are filled in."""

from __future__ import annotations

LANGUAGES = ("en", "fi", "sv", "uk")
DEFAULT = "en"

TEXT: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hello {name}! I am the assistant. Ask me a question, write 'report' to "
        "register a request, give a request number to hear its status, or write 'agent' "
        "to talk to a person.",
        "fi": "Hei {name}! Olen avustaja. Kysy minulta, kirjoita 'ilmoitus' tehdäksesi "
        "ilmoituksen, anna pyynnön numero kuullaksesi sen tilan tai kirjoita "
        "'asiakaspalvelija' jutellaksesi ihmisen kanssa.",
        "sv": "Hej {name}! Jag är assistenten. Ställ en fråga, skriv 'anmälan' för att "
        "registrera ett ärende, ange ett ärendenummer för att höra dess status eller skriv "
        "'handläggare' för att prata med en person.",
        "uk": "Вітаю, {name}! Я помічник. Поставте запитання, напишіть 'заявка', щоб "
        "зареєструвати звернення, вкажіть номер звернення, щоб дізнатися його статус, "
        "або напишіть 'оператор', щоб поговорити з людиною.",
    },
    "answer": {
        "en": "This article may help: {title}",
        "fi": "Tästä artikkelista voi olla apua: {title}",
        "sv": "Den här artikeln kan hjälpa: {title}",
        "uk": "Ця стаття може допомогти: {title}",
    },
    "not_found": {
        "en": "Sorry, I did not find an answer. Could you say it another way? "
        "Write 'agent' to talk to a person.",
        "fi": "Valitettavasti en löytänyt vastausta. Voisitko sanoa sen toisin? "
        "Kirjoita 'asiakaspalvelija', niin saat ihmisen.",
        "sv": "Tyvärr hittade jag inget svar. Kan du säga det på ett annat sätt? "
        "Skriv 'handläggare' för att prata med en person.",
        "uk": "На жаль, я не знайшов відповіді. Чи можете сказати інакше? "
        "Напишіть 'оператор', щоб поговорити з людиною.",
    },
    "handover": {
        "en": "I am passing you to an agent, who can see our conversation. "
        "Your request number is {number}.",
        "fi": "Siirrän sinut asiakaspalvelijalle, joka näkee keskustelumme. "
        "Pyyntösi numero on {number}.",
        "sv": "Jag skickar dig vidare till en handläggare som ser vårt samtal. "
        "Ditt ärendenummer är {number}.",
        "uk": "Передаю вас операторові, який бачить нашу розмову. Номер вашого звернення {number}.",
    },
    "no_agent": {
        "en": "No agent is available right now. Please leave a message and we will answer "
        "you by email.",
        "fi": "Yksikään asiakaspalvelija ei ole nyt tavoitettavissa. Jätä viesti, niin "
        "vastaamme sähköpostilla.",
        "sv": "Ingen handläggare är tillgänglig just nu. Lämna ett meddelande så svarar vi "
        "dig per e-post.",
        "uk": "Зараз немає вільних операторів. Залиште повідомлення, і ми відповімо вам "
        "електронною поштою.",
    },
    "message_filed": {
        "en": "Thank you. Your message is saved; your request number is {number}.",
        "fi": "Kiitos. Viestisi on tallennettu; pyyntösi numero on {number}.",
        "sv": "Tack. Ditt meddelande är sparat; ditt ärendenummer är {number}.",
        "uk": "Дякуємо. Ваше повідомлення збережено; номер вашого звернення {number}.",
    },
    "ask_category": {
        "en": "What is the request about? Reply with a number:\n{choices}",
        "fi": "Mitä ilmoitus koskee? Vastaa numerolla:\n{choices}",
        "sv": "Vad gäller ärendet? Svara med en siffra:\n{choices}",
        "uk": "Чого стосується звернення? Відповідайте номером:\n{choices}",
    },
    "bad_category": {
        "en": "Please reply with one of the numbers:\n{choices}",
        "fi": "Vastaa jollakin numeroista:\n{choices}",
        "sv": "Svara med en av siffrorna:\n{choices}",
        "uk": "Будь ласка, відповідайте одним із номерів:\n{choices}",
    },
    "ask_address": {
        "en": "What is the address (street and number)?",
        "fi": "Mikä on osoite (katu ja numero)?",
        "sv": "Vilken är adressen (gata och nummer)?",
        "uk": "Яка адреса (вулиця та номер будинку)?",
    },
    "pick_street": {
        "en": "Which street do you mean? Reply with a number:\n{choices}",
        "fi": "Mitä katua tarkoitat? Vastaa numerolla:\n{choices}",
        "sv": "Vilken gata menar du? Svara med en siffra:\n{choices}",
        "uk": "Яку вулицю ви маєте на увазі? Відповідайте номером:\n{choices}",
    },
    "ask_description": {
        "en": "Please describe the problem.",
        "fi": "Kuvaile ongelma.",
        "sv": "Beskriv problemet.",
        "uk": "Опишіть, будь ласка, проблему.",
    },
    "ask_photo": {
        "en": "You can now send a photo, or write 'skip'.",
        "fi": "Voit nyt lähettää kuvan tai kirjoittaa 'ohita'.",
        "sv": "Du kan nu skicka ett foto eller skriva 'hoppa över'.",
        "uk": "Тепер можете надіслати фото або написати 'пропустити'.",
    },
    "request_filed": {
        "en": "Thank you. Your request is registered; its number is {number}.",
        "fi": "Kiitos. Ilmoituksesi on kirjattu; sen numero on {number}.",
        "sv": "Tack. Ditt ärende är registrerat; dess nummer är {number}.",
        "uk": "Дякуємо. Ваше звернення зареєстровано; його номер {number}.",
    },
    "status": {
        "en": "Request {number} is {status}.",
        "fi": "Pyynnön {number} tila: {status}.",
        "sv": "Ärende {number} är {status}.",
        "uk": "Звернення {number}: {status}.",
    },
    "status_unknown": {
        "en": "I found no request {number} of yours.",
        "fi": "En löytänyt sinulta pyyntöä {number}.",
        "sv": "Jag hittade inget ärende {number} från dig.",
        "uk": "Я не знайшов вашого звернення {number}.",
    },
    "file_received": {
        "en": "I have kept your file {name}.",
        "fi": "Tallensin tiedostosi {name}.",
        "sv": "Jag har sparat din fil {name}.",
        "uk": "Я зберіг ваш файл {name}.",
    },
}

STATUS: dict[str, dict[str, str]] = {
    "new": {"en": "new", "fi": "uusi", "sv": "ny", "uk": "нове"},
    "open": {
        "en": "being handled",
        "fi": "käsittelyssä",
        "sv": "under behandling",
        "uk": "в роботі",
    },
    "pending": {
        "en": "waiting for your answer",
        "fi": "odottaa vastaustasi",
        "sv": "väntar på ditt svar",
        "uk": "очікує на вашу відповідь",
    },
    "resolved": {"en": "resolved", "fi": "ratkaistu", "sv": "löst", "uk": "вирішено"},
    "closed": {"en": "closed", "fi": "suljettu", "sv": "stängt", "uk": "закрито"},
}

# Words that ask for something, matched as whole words in the visitor's message.
KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "human": {
        "en": ("agent", "human", "person", "operator", "someone"),
        "fi": ("asiakaspalvelija", "ihminen", "ihmisen", "henkilö", "virkailija"),
        "sv": ("handläggare", "människa", "person", "kundtjänst"),
        "uk": ("оператор", "оператора", "людина", "людиною", "агент", "консультант"),
    },
    "report": {
        "en": ("report", "register", "request"),
        "fi": ("ilmoitus", "ilmoittaa", "ilmoitan", "ilmoittaisin"),
        "sv": ("anmälan", "anmäla", "registrera"),
        "uk": ("заявка", "заявку", "зареєструвати", "повідомити"),
    },
}


def language_of(requested: object) -> str:
    """A supported language from a browser's (``fi-FI`` -> ``fi``), else the default."""
    code = str(requested or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT


def say(key: str, language: str, **values: object) -> str:
    texts = TEXT[key]
    return texts.get(language, texts[DEFAULT]).format(**values)


def status_text(status: str, language: str) -> str:
    names = STATUS.get(status, {})
    return names.get(language, names.get(DEFAULT, status))


def keywords(kind: str, language: str) -> set[str]:
    """The words of ``kind`` in the visitor's language, and English (widely used)."""
    words = KEYWORDS[kind]
    return set(words.get(language, ())) | set(words[DEFAULT])
