#!/usr/bin/env python3
"""Deterministic generator of Readout import documents for the benchmarks.

    gen.py --size 10k|1m|smallN --info              number of chunks
    gen.py --size SIZE --chunk I [--out FILE]       import document of chunk I

Everything is a pure function of (size, chunk index): the same arguments give
the same bytes on every machine and Python 3 version (random.Random with an
integer seed, no hash-order dependence). Chunk 0 also holds every participant
and principle; later chunks only meetings, which may relate to meetings of
earlier chunks (already imported) or earlier in the same chunk.

Shapes (see bench/README.md):
  10k  10,000 meetings, readouts of about 4 KB
  1m   1,000,000 meetings, readouts of about 500 bytes
Both draw on the same pool of 3,000 people and 300 principles. Who attends is
skewed (a few heads of state and ministers appear in many meetings, most
people in a handful), and words follow a Zipf law over a vocabulary of real
words and a long tail of invented ones, so search has common and rare terms.
"""
import argparse
import bisect
import itertools
import json
import os
import random
import sys

SIZES = {
    # name: (meetings, readout bytes, summary bytes, meetings per chunk)
    "10k": (10_000, 4000, 420, 5_000),
    "1m": (1_000_000, 500, 200, 50_000),
}
PEOPLE = 3000
PRINCIPLES = 300
SEED = 20261127
DATE_FIRST = 9131  # days since 1970-01-01: 1995-01-01
DATE_LAST = 20453  # 2025-12-31


def size_spec(name):
    if name in SIZES:
        return SIZES[name]
    if name.startswith("small"):  # small<N>: tests of the harness itself
        n = int(name[5:])
        return (n, 4000, 420, min(n, 5_000))
    raise SystemExit(f"gen.py: unknown size {name}")


# ---------------------------------------------------------------- word pools

FIRST = """Ahmed Aiko Alejandro Alexei Ali Amara Ana Andrei Anil Anna Antonio Arjun
Aylin Beatriz Bilal Boris Camila Carlos Chen Chiara Dae Daniel David Dmitri Elena
Emeka Emil Erik Fatima Felipe Fiona Francois Gabriel Hana Hans Hassan Helga Hiroshi
Ibrahim Ines Ivan Jakob James Jan Javier Jia Jin Joao Jorge Jose Julia Kamala
Karim Katarzyna Kenji Khalid Kim Kofi Lars Laura Lei Leila Liam Lina Luca Lucia
Mahmoud Maria Marek Marta Mateo Mehmet Mei Min Miguel Mikhail Mohammed Nadia Naveen
Nikolai Nina Olga Omar Oscar Pablo Paolo Pedro Priya Rafael Rahul Ravi Rosa Samir
Sara Sergei Shinzo Sofia Sunil Svetlana Tariq Thomas Tomas Valentina Viktor Wei
Xin Yasmin Yuki Yusuf Zara Zhang Zoran""".split()
LAST = """Abe Adeyemi Ahmadi Alvarez Andersen Bakr Banerjee Bauer Becker Bianchi
Costa Cruz Dang Diallo Dubois Eriksson Fernandes Fischer Garcia Gomez Gupta Haddad
Hansen Hoang Horvath Hussein Ibrahim Ito Ivanov Jansen Jovanovic Kaya Khan Kim
Kobayashi Kowalski Kumar Lee Li Lin Liu Lopez Mahmoud Martin Mendes Moreau Muller
Murphy Mwangi Nakamura Nguyen Novak Nowak Okafor Okonkwo Olsen Ortiz Park Patel
Perez Petrov Popescu Rahman Ramos Reddy Rossi Santos Sato Schmidt Shah Silva
Singh Smirnov Sokolov Suzuki Tanaka Torres Traore Van Vargas Volkov Wagner Wang
Weber Wu Xu Yamamoto Yang Yilmaz Yusuf Zhang Zhao Zhou""".split()

COUNTRIES = [  # (code, country name, capital, adjective)
    ("CN", "China", "Beijing", "Chinese"), ("US", "the United States", "Washington", "U.S."),
    ("RU", "Russia", "Moscow", "Russian"), ("FR", "France", "Paris", "French"),
    ("DE", "Germany", "Berlin", "German"), ("GB", "the United Kingdom", "London", "British"),
    ("JP", "Japan", "Tokyo", "Japanese"), ("IN", "India", "New Delhi", "Indian"),
    ("BR", "Brazil", "Brasilia", "Brazilian"), ("ZA", "South Africa", "Pretoria", "South African"),
    ("NG", "Nigeria", "Abuja", "Nigerian"), ("EG", "Egypt", "Cairo", "Egyptian"),
    ("KE", "Kenya", "Nairobi", "Kenyan"), ("ET", "Ethiopia", "Addis Ababa", "Ethiopian"),
    ("SA", "Saudi Arabia", "Riyadh", "Saudi"), ("IR", "Iran", "Tehran", "Iranian"),
    ("TR", "Turkey", "Ankara", "Turkish"), ("ID", "Indonesia", "Jakarta", "Indonesian"),
    ("VN", "Viet Nam", "Hanoi", "Vietnamese"), ("TH", "Thailand", "Bangkok", "Thai"),
    ("MY", "Malaysia", "Kuala Lumpur", "Malaysian"), ("SG", "Singapore", "Singapore", "Singaporean"),
    ("PH", "the Philippines", "Manila", "Philippine"), ("KR", "the Republic of Korea", "Seoul", "Korean"),
    ("AU", "Australia", "Canberra", "Australian"), ("NZ", "New Zealand", "Wellington", "New Zealand"),
    ("CA", "Canada", "Ottawa", "Canadian"), ("MX", "Mexico", "Mexico City", "Mexican"),
    ("AR", "Argentina", "Buenos Aires", "Argentine"), ("CL", "Chile", "Santiago", "Chilean"),
    ("PE", "Peru", "Lima", "Peruvian"), ("CO", "Colombia", "Bogota", "Colombian"),
    ("IT", "Italy", "Rome", "Italian"), ("ES", "Spain", "Madrid", "Spanish"),
    ("PL", "Poland", "Warsaw", "Polish"), ("HU", "Hungary", "Budapest", "Hungarian"),
    ("RS", "Serbia", "Belgrade", "Serbian"), ("GR", "Greece", "Athens", "Greek"),
    ("SE", "Sweden", "Stockholm", "Swedish"), ("NO", "Norway", "Oslo", "Norwegian"),
    ("FI", "Finland", "Helsinki", "Finnish"), ("CH", "Switzerland", "Bern", "Swiss"),
    ("AT", "Austria", "Vienna", "Austrian"), ("KZ", "Kazakhstan", "Astana", "Kazakh"),
    ("UZ", "Uzbekistan", "Tashkent", "Uzbek"), ("PK", "Pakistan", "Islamabad", "Pakistani"),
    ("BD", "Bangladesh", "Dhaka", "Bangladeshi"), ("LK", "Sri Lanka", "Colombo", "Sri Lankan"),
    ("NP", "Nepal", "Kathmandu", "Nepali"), ("MN", "Mongolia", "Ulaanbaatar", "Mongolian"),
    ("AE", "the United Arab Emirates", "Abu Dhabi", "Emirati"), ("QA", "Qatar", "Doha", "Qatari"),
    ("DZ", "Algeria", "Algiers", "Algerian"), ("MA", "Morocco", "Rabat", "Moroccan"),
    ("GH", "Ghana", "Accra", "Ghanaian"), ("TZ", "Tanzania", "Dodoma", "Tanzanian"),
    ("AO", "Angola", "Luanda", "Angolan"), ("CU", "Cuba", "Havana", "Cuban"),
    ("VE", "Venezuela", "Caracas", "Venezuelan"), ("UA", "Ukraine", "Kyiv", "Ukrainian"),
]
OFFICES = [  # (title template, organization template, weight)
    ("President of {c}", "Office of the President of {c}", 3),
    ("Prime Minister of {c}", "Government of {c}", 3),
    ("Minister of Foreign Affairs of {c}", "Ministry of Foreign Affairs of {c}", 5),
    ("Vice Minister of Foreign Affairs of {c}", "Ministry of Foreign Affairs of {c}", 4),
    ("Ambassador of {c}", "Embassy of {c}", 6),
    ("Special Envoy of {c}", "Ministry of Foreign Affairs of {c}", 3),
    ("Minister of Commerce of {c}", "Ministry of Commerce of {c}", 3),
    ("Minister of Defence of {c}", "Ministry of Defence of {c}", 2),
    ("National Security Adviser of {c}", "Office of the President of {c}", 1),
    ("Speaker of the Parliament of {c}", "Parliament of {c}", 2),
    ("Governor of the Central Bank of {c}", "Central Bank of {c}", 1),
]
VENUES = ["Great Hall of the People", "Presidential Palace", "Ministry of Foreign Affairs",
          "State Guest House", "Government House", "Palace of Nations", "Conference Centre",
          "Prime Minister's Office", "Embassy", "Diaoyutai State Guesthouse", "Kremlin",
          "Elysee Palace", "Chancellery", "Summit venue", "Hotel conference hall"]
KINDS = [("meeting", 45), ("talks", 20), ("phone_call", 14), ("video_call", 5),
         ("summit", 4), ("visit", 10), ("other", 2)]
ROLES = ["host", "guest", "attendee"]
STANCES = [("cited", 5), ("reaffirmed", 3), ("proposed", 2)]
PUBLISHERS = ["Ministry of Foreign Affairs", "Xinhua", "Office of the Spokesperson",
              "Government Press Office", "State Media", "Embassy Press Release"]
LANGS = [("en", 6), ("zh-Hans", 2), ("fr", 1), ("ru", 1), ("es", 1), ("ar", 1)]

P_ADJ = """mutual peaceful equal sovereign common shared open inclusive sustainable
joint fair multilateral balanced lasting comprehensive strategic practical global
regional collective green digital constructive peaceful""".split()
P_NOUN = """respect coexistence cooperation development security trust dialogue
consultation benefit prosperity stability partnership connectivity governance
integrity understanding engagement progress friendship responsibility resilience
innovation openness harmony solidarity""".split()
P_EXTRA = ["non-interference in internal affairs", "territorial integrity",
           "non-aggression", "settlement of disputes by peaceful means",
           "respect for the United Nations Charter", "one-China policy",
           "freedom of navigation", "rules-based international order",
           "people-to-people exchanges", "win-win cooperation",
           "a community with a shared future for mankind",
           "indivisible security", "true multilateralism"]
FRAMEWORKS = ["Five principles of peaceful coexistence", "Three fundamental principles",
              "Five pillars", "Global Development Initiative", "Global Security Initiative",
              "Global Civilization Initiative", "United Nations Charter", "Helsinki Final Act",
              "Bandung principles", "Belt and Road principles", "ASEAN Way",
              "Shanghai spirit"]

# The head of the vocabulary: function words first (most frequent), then the
# content words of readouts. The tail is invented words (see tail_word).
FUNCTION_WORDS = """the of and to in a that on for with as is by at was be this
its their from which it are has have an will both two sides said also were had
been would should all more other such between not into further""".split()
CONTENT_WORDS = """cooperation relations development countries president minister
international security support economic trade dialogue peace stability region
regional global mutual important partnership bilateral multilateral foreign
strategic exchanges agreement interests issues policy joint framework investment
progress meeting visit talks consensus communication friendship prosperity
leaders government parties principle principles commitment sovereignty respect
practical areas energy infrastructure climate health connectivity people world
history future community challenges opportunities common shared open fair
sustainable growth innovation digital technology finance financial market
markets supply chains agriculture food education culture tourism youth science
maritime border defence military crisis humanitarian nuclear nonproliferation
sanctions negotiations summit consultations mechanism mechanisms conference
initiative initiatives proposal proposals vision level high year years new
continue strengthen deepen enhance promote expand advance implement maintain
uphold safeguard oppose reject welcome appreciate express expressed stressed
noted pointed agreed discussed exchanged views emphasized underlined reiterated
affirmed reaffirmed hoped believed ready willing work together jointly closely
actively steadily further comprehensive long term stable healthy sound
constructive candid productive fruitful friendly cordial warm atmosphere
united nations charter council organization asean brics apec group forum
ministers ministerial delegation ambassador envoy spokesperson statement
readout press release ceremony anniversary establishment diplomatic ties
neighbours neighbourly partners partner development-oriented responsible major
country developing developed south north east west asia africa europe americas
pacific ocean sea arctic space cyber data governance rules order law
interference internal affairs territorial integrity independence unity
reunification hegemonism unilateralism protectionism decoupling resilience
green low carbon transition emissions renewable solar wind grid railway port
corridor pipeline loans debt relief aid assistance vaccines pandemic recovery
poverty reduction employment industry manufacturing services ecommerce customs
tariffs quotas standards certification visas aviation shipping logistics
""".split()
STOP_FOR_QUERIES = set(FUNCTION_WORDS)
SYL = ["ka", "lo", "mi", "ren", "ta", "vu", "zen", "sho", "bra", "del", "fi", "gor",
       "hal", "jun", "kel", "lum", "mar", "nex", "ost", "pra", "qui", "ros", "sal",
       "tor", "umb", "vex", "wil", "yor", "zan", "ix"]
TAIL = 24_000  # invented words after the real ones
ZIPF_S = 1.05


# The Chinese side's readouts: about one meeting in four carries one
# (API.md section 12), drawn from its own generator so that the English data
# stays what it was. Words are common terms of Chinese readouts (2 to 4
# characters), written without spaces as Chinese is; the principles' Chinese
# names (shared/data/ALIASES-zh.md) are woven in.
ZH_SHARE = 0.25
ZH_WORDS = """双方 两国 关系 合作 发展 和平 稳定 交流 对话 磋商 共识 伙伴 战略 全面
友好 互利 共赢 相互 尊重 平等 信任 理解 支持 推动 促进 加强 深化 拓展 落实
坚持 维护 捍卫 反对 欢迎 赞赏 表示 指出 强调 重申 认为 希望 愿意 同意 讨论
交换 意见 国际 地区 全球 安全 经济 贸易 投资 能源 气候 卫生 科技 人文 教育
文化 旅游 青年 农业 金融 基础设施 互联互通 供应链 产业链 多边主义 单边主义
保护主义 霸权主义 主权 领土完整 内政 独立 统一 人民 世界 未来 历史 时代
机遇 挑战 繁荣 进步 振兴 现代化 改革 开放 创新 绿色 数字 海洋 周边 邻国
大国 发展中国家 联合国 宪章 安理会 东盟 金砖 上海合作组织 二十国集团 亚太
倡议 愿景 框架 机制 平台 会谈 会见 通话 访问 峰会 宴会 仪式 声明 新闻稿
外交 部长 主席 总统 总理 大使 特使 代表团 发言人 建交 周年 纪念 传统 友谊
务实 积极 建设性 坦诚 深入 富有成果 亲切 友好 气氛""".split()
ZH_PRINCIPLES = ["相互尊重", "和平共处", "合作共赢", "共同树立正确认知", "共同管控分歧",
                 "共同推进互利合作", "共同承担大国责任", "共同促进人文交流", "以和为贵",
                 "以稳为重", "以信为本", "一个中国政策", "人类命运共同体"]
ZH_CUM = None  # set by zh_text


def zh_text(rng, nbytes):
    """Chinese text of about nbytes bytes of UTF-8 (3 bytes a character):
    sentences of 6 to 16 words, a principle's name in some, each ending in
    a full stop."""
    global ZH_CUM
    if ZH_CUM is None:
        ZH_CUM = cum(1.0 / (r + 1) ** ZIPF_S for r in range(len(ZH_WORDS)))
    out, size = [], 0
    while size < nbytes:
        words = [pick(rng, ZH_WORDS, ZH_CUM) for _ in range(6 + rng.randrange(11))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words) + 1), rng.choice(ZH_PRINCIPLES))
        s = "".join(words) + "。"
        out.append(s)
        size += len(s.encode())
    return "".join(out)


def zh_readouts(index, date, readout_bytes):
    """The Chinese readout of meeting index, or none."""
    rng = random.Random(f"{SEED}-zh-{index}")
    if rng.random() >= ZH_SHARE:
        return []
    return [{"language": "zh-Hans", "publisher": "中华人民共和国外交部",
             "url": f"https://www.example.gov.cn/wjbxw/{index}.html", "published": date,
             "text": zh_text(rng, readout_bytes // 2)}]


def tail_word(i):
    """The i-th invented word: 2 to 4 syllables, unique for i < TAIL."""
    n = len(SYL)
    a, b, c = i % n, (i // n) % n, (i // (n * n)) % n
    w = SYL[a] + SYL[b]
    if i >= n * n:
        w += SYL[c]
    return w + ("a" if i >= n * n * n else "")


def vocabulary():
    seen, vocab = set(), []
    for w in FUNCTION_WORDS + CONTENT_WORDS:
        if w not in seen:
            seen.add(w)
            vocab.append(w)
    i = 0
    while len(vocab) < len(FUNCTION_WORDS) + len(CONTENT_WORDS) + TAIL:
        w = tail_word(i)
        i += 1
        if w not in seen:
            seen.add(w)
            vocab.append(w)
    return vocab


VOCAB = vocabulary()
HEAD = len(VOCAB) - TAIL
TAIL_SHARE = 0.08  # of running words that are invented (names, places, jargon)
HEAD_CUM = list(itertools.accumulate(1.0 / (r + 1) ** ZIPF_S for r in range(HEAD)))
TAIL_CUM = list(itertools.accumulate(1.0 / (r + 1) for r in range(TAIL)))


def cum(weights):
    return list(itertools.accumulate(weights))


def pick(rng, items, cumw):
    return items[bisect.bisect_right(cumw, rng.random() * cumw[-1])]


def slugify(text):
    out, dash = [], False
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")[:100].strip("-")


def iso_date(days):
    # Civil-from-days (Howard Hinnant), to avoid datetime's locale-free but
    # slower path; exact for the proleptic Gregorian calendar.
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return f"{y + (m <= 2):04d}-{m:02d}-{d:02d}"


# ---------------------------------------------------------------- entities

def make_people():
    rng = random.Random(SEED)
    office_w = cum(w for _, _, w in OFFICES)
    people, slugs = [], set()
    for i in range(PEOPLE):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        slug = slugify(name)
        base, k = slug, 2
        while slug in slugs:
            slug = f"{base}-{k}"
            k += 1
        slugs.add(slug)
        code, cname, _, _ = COUNTRIES[rng.randrange(len(COUNTRIES))]
        title, org, _ = pick(rng, OFFICES, office_w)
        aliases = []
        if rng.random() < 0.15:
            first, last = name.split(" ", 1)
            aliases.append(f"{first[0]}. {last}")
        if rng.random() < 0.05:
            aliases.append(f"{last_name(name)} {first_name(name)}")
        people.append({"slug": slug, "name": name, "aliases": aliases,
                       "title": title.format(c=cname),
                       "organization": org.format(c=cname) if rng.random() < 0.8 else None,
                       "country": code})
    return people


def first_name(name):
    return name.split(" ", 1)[0]


def last_name(name):
    return name.split(" ", 1)[1]


def make_principles():
    rng = random.Random(SEED + 1)
    names, seen = [], set()
    for extra in P_EXTRA:
        names.append(extra[0].upper() + extra[1:])
        seen.add(extra)
    while len(names) < PRINCIPLES:
        n = f"{rng.choice(P_ADJ)} {rng.choice(P_NOUN)}"
        if rng.random() < 0.3:
            n += f" and {rng.choice(P_NOUN)}"
        if n not in seen:
            seen.add(n)
            names.append(n[0].upper() + n[1:])
    out = []
    for n in names:
        words = text_words(rng, 18 + rng.randrange(30))
        out.append({"slug": slugify(n), "name": n,
                    "framework": rng.choice(FRAMEWORKS) if rng.random() < 0.6 else None,
                    "description": sentence_block(rng, words)})
    return out


def text_words(rng, n):
    """n running words: a Zipf law over the real words, with TAIL_SHARE of
    them from a second Zipf law over the invented ones (so most invented
    words occur in a handful of meetings, or none)."""
    r = rng.random
    head, tail = HEAD_CUM[-1], TAIL_CUM[-1]
    br = bisect.bisect_right
    return [VOCAB[br(HEAD_CUM, r() * head)] if r() >= TAIL_SHARE
            else VOCAB[HEAD + br(TAIL_CUM, r() * tail)] for _ in range(n)]


def sentence_block(rng, words, names=()):
    """Words into sentences of 8 to 24 words; names (people, principles) are
    woven in at sentence starts, as in a real readout."""
    out, i, n = [], 0, len(words)
    while i < n:
        k = 8 + rng.randrange(17)
        chunk = words[i:i + k]
        i += k
        s = " ".join(chunk)
        if names and rng.random() < 0.5:
            s = f"{rng.choice(names)} said that {s}"
        out.append(s[0].upper() + s[1:] + ".")
    return " ".join(out)


def text_of_bytes(rng, nbytes, names=()):
    # About 6.3 bytes a word with the word mix above (measured).
    target = max(8, int(nbytes / 6.3 * (0.75 + rng.random() * 0.5)))
    return sentence_block(rng, text_words(rng, target), names)


class World:
    def __init__(self):
        self.people = make_people()
        self.principles = make_principles()
        # Who attends is skewed: weight 1/rank^0.7 over a fixed shuffled order.
        self.person_cum = cum(1.0 / (r + 1) ** 0.7 for r in range(PEOPLE))
        self.principle_cum = cum(1.0 / (r + 1) ** 0.6 for r in range(PRINCIPLES))
        self.kind_cum = cum(w for _, w in KINDS)
        self.stance_cum = cum(w for _, w in STANCES)
        self.lang_cum = cum(w for _, w in LANGS)


def meeting_slug(index, date):
    return f"{date}-bench-meeting-{index}"


def make_meeting(world, rng, index, first_index, readout_bytes, summary_bytes):
    days = DATE_FIRST + rng.randrange(DATE_LAST - DATE_FIRST + 1)
    date = iso_date(days)
    kind = pick(rng, [k for k, _ in KINDS], world.kind_cum)
    n_people = 2 + rng.randrange(4)
    chosen = []
    while len(chosen) < n_people:
        p = world.people[bisect.bisect_right(world.person_cum, rng.random() * world.person_cum[-1])]
        if p not in chosen:
            chosen.append(p)
    host, guest = chosen[0], chosen[1]
    code, cname, capital, adj = next(c for c in COUNTRIES if c[0] == host["country"])
    if kind == "phone_call":
        title = f"{host['title']} {host['name']} speaks by phone with {guest['title']} {guest['name']}"
    elif kind == "video_call":
        title = f"{host['name']} and {guest['name']} hold a video call"
    elif kind == "summit":
        title = f"{host['name']} and {guest['name']} meet at the {capital} summit"
    elif kind == "talks":
        title = f"{host['name']} holds talks with {guest['title']} {guest['name']}"
    elif kind == "visit":
        title = f"{guest['title']} {guest['name']} visits {cname}"
    else:
        title = f"{host['title']} {host['name']} meets {guest['title']} {guest['name']}"
    title = title[:500]
    n_princ = rng.randrange(5)
    princ = []
    while len(princ) < n_princ:
        pr = world.principles[bisect.bisect_right(world.principle_cum,
                                                  rng.random() * world.principle_cum[-1])]
        if pr not in princ:
            princ.append(pr)
    names = [p["name"] for p in chosen] + [p["name"].lower() for p in princ]
    in_person = kind not in ("phone_call", "video_call")
    m = {
        "slug": meeting_slug(index, date),
        "title": title,
        "date": date,
        "kind": kind,
        "location": rng.choice(VENUES) if in_person else None,
        "city": capital if in_person else None,
        "country": code if in_person else None,
        "summary": text_of_bytes(rng, summary_bytes, names),
        "readout": text_of_bytes(rng, readout_bytes, names),
        "sources": [{"url": f"https://www.example.gov/{code.lower()}/readouts/{index}-{s}.html",
                     "publisher": rng.choice(PUBLISHERS),
                     "language": pick(rng, [l for l, _ in LANGS], world.lang_cum)}
                    for s in range(1 + (rng.random() < 0.3))],
        "participants": [{"slug": p["slug"], "role": ROLES[min(i, 2)]}
                         for i, p in enumerate(chosen)],
        "principles": [{"slug": pr["slug"],
                        "stance": pick(rng, [s for s, _ in STANCES], world.stance_cum),
                        "invoked_by": rng.choice(chosen)["slug"] if rng.random() < 0.8 else None,
                        "quote": sentence_block(rng, text_words(rng, 10 + rng.randrange(20)),
                                                [host["name"]])
                        if rng.random() < 0.6 else None}
                       for pr in princ],
        "related": [],
        "readouts": zh_readouts(index, date, readout_bytes),
    }
    # About one meeting in five follows up or references an earlier one.
    if index > 0 and rng.random() < 0.2:
        other = rng.randrange(max(0, index - 2000), index)
        m["related"].append({"slug": None, "relation": rng.choice(["references", "follows_up"]),
                             "_index": other})
    return m


def slug_of_index(index):
    """The slug meeting `index` gets: replays its date draw (the first draw of
    its own generator, see chunk())."""
    rng = random.Random(SEED * 1_000_003 + index)
    days = DATE_FIRST + rng.randrange(DATE_LAST - DATE_FIRST + 1)
    return meeting_slug(index, iso_date(days))


def chunk(size_name, ci):
    total, readout_bytes, summary_bytes, per = size_spec(size_name)
    world = World()
    first = ci * per
    last = min(total, first + per)
    if first >= total:
        raise SystemExit(f"gen.py: chunk {ci} out of range")
    meetings = []
    for index in range(first, last):
        # One generator per meeting: any meeting can be regenerated alone.
        rng = random.Random(SEED * 1_000_003 + index)
        m = make_meeting(world, rng, index, first, readout_bytes, summary_bytes)
        for r in m["related"]:
            r["slug"] = slug_of_index(r.pop("_index"))
        meetings.append(m)
    doc = {"format": "readout/1"}
    if ci == 0:
        doc["participants"] = world.people
        doc["principles"] = world.principles
    doc["meetings"] = meetings
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", required=True)
    ap.add_argument("--chunk", type=int)
    ap.add_argument("--out")
    ap.add_argument("--info", action="store_true")
    a = ap.parse_args()
    total, _, _, per = size_spec(a.size)
    if a.info:
        print((total + per - 1) // per)
        return
    if a.chunk is None:
        ap.error("one of --info, --chunk")
    doc = chunk(a.size, a.chunk)
    out = open(a.out, "w") if a.out else sys.stdout
    json.dump(doc, out, ensure_ascii=False, separators=(",", ":"))
    out.write("\n")
    if a.out:
        out.close()


if __name__ == "__main__":
    main()
