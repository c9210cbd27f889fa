"""Sentence templates for demo mentions and posts.

Mention texts are short English sentences whose polarity is fixed by construction: every template
is filed under ``pos``, ``neu`` or ``neg`` and reads that way to a lexicon scorer such as VADER
(Hutto & Gilbert 2014), so a client whose mentions carry no ``sentiment_score`` column still gets a
sensible polarity when its texts are scored. Every template of a topic contains at least one of the
topic's keywords (``TOPIC_KEYWORDS``), which the demo parameter files use as listening keyword
families. ``{brand}`` and ``{product}`` are filled in by :mod:`kpi_toolkit.demo.generator`.

References
----------
Hutto, C. J. and Gilbert, E. (2014). VADER: A parsimonious rule-based model for sentiment analysis of
social media text. Proceedings of ICWSM-14.
"""

from __future__ import annotations

Templates = dict[str, dict[str, tuple[str, ...]]]
"""topic -> polarity ("pos", "neu", "neg") -> templates."""

POLARITIES: tuple[str, str, str] = ("pos", "neu", "neg")

_SHIPPING: dict[str, tuple[str, ...]] = {
    "pos": (
        "Super fast delivery from {brand}, my order arrived in two days. Thank you!",
        "{brand} shipping was quick and the parcel was beautifully packed. Love it.",
        "Great delivery experience with {brand}, the {product} arrived early.",
    ),
    "neu": (
        "How long does {brand} delivery usually take to Sweden? Placing an order this week.",
        "My {brand} order with the {product} has shipped, tracking says Friday.",
        "Does {brand} offer shipping to Norway for the {product}?",
    ),
    "neg": (
        "My {brand} order is two weeks late, worst delivery experience ever.",
        "The {brand} parcel arrived damaged and the {product} was broken. Not happy.",
        "Still waiting for my {brand} order, terrible shipping and no updates.",
    ),
}

_CUSTOMER_SERVICE: dict[str, tuple[str, ...]] = {
    "pos": (
        "{brand} customer service sorted my refund in a day, really helpful team.",
        "Thanks {brand} support for the quick reply about my {product}, great service.",
    ),
    "neu": (
        "Waiting for {brand} customer service to reply about an exchange of the {product}.",
        "How do I contact {brand} customer service about my order?",
        "Emailed {brand} customer service about the {product} warranty today.",
    ),
    "neg": (
        "{brand} customer service ignored my emails for a week, terrible support.",
        "Still no refund from {brand} after three weeks, awful customer service.",
        "Rude reply from {brand} support about my broken {product}. Disappointed.",
    ),
}

_PRICE: dict[str, tuple[str, ...]] = {
    "pos": (
        "The {brand} {product} is great value for the price, and the sale made it even better.",
        "Grabbed the {brand} {product} with a discount code, such a good deal. Happy!",
    ),
    "neu": (
        "Is the {brand} {product} included in the weekend sale? Checking the price.",
        "Comparing the price of the {brand} {product} with other brands.",
    ),
    "neg": (
        "The {brand} {product} is too expensive for what it is, the price went up again. Ridiculous.",
        "{brand} raised the price of the {product} by 20 percent, what a ripoff. Disappointed.",
    ),
}

BEAUTY: Templates = {
    "skincare": {
        "pos": (
            "My skin has never looked better since I added the {brand} {product} to my routine. Love it!",
            "The {brand} {product} is the best skincare I have tried this year, so happy with it.",
            "Great results from the {brand} {product}, my skin feels soft and calm.",
        ),
        "neu": (
            "Is the {brand} {product} suitable for dry skin? Thinking of adding it to my routine.",
            "Where in a skincare routine does the {brand} {product} go, before or after moisturiser?",
            "Trying the {brand} {product} in my evening skincare routine this week.",
        ),
        "neg": (
            "The {brand} {product} broke my skin out, really disappointed.",
            "Bad reaction to the {brand} {product}, my skin is red and irritated.",
            "The {brand} {product} did nothing for my skin, a waste of money. Disappointed.",
        ),
    },
    "makeup": {
        "pos": (
            "Obsessed with the {brand} {product}, the shade range is wonderful.",
            "The {brand} {product} lasted all day at the wedding, beautiful makeup.",
            "Finally found my shade in {brand} makeup, the {product} is perfect.",
        ),
        "neu": (
            "Which {brand} {product} shade would match NC20 in my makeup bag?",
            "Wearing the {brand} {product} in today's makeup look, details in the caption.",
            "Does {brand} sell the {product} in a travel size for my makeup bag?",
        ),
        "neg": (
            "The {brand} {product} shade range is awful, nothing matches darker skin.",
            "My {brand} makeup looked patchy after an hour, I hate this {product}.",
            "The {brand} {product} turned orange on me, so disappointed with this makeup.",
        ),
    },
    "ingredients": {
        "pos": (
            "Love that the {brand} {product} has a clean formula with simple ingredients.",
            "Vegan ingredients and no fragrance in the {brand} {product}, brilliant.",
        ),
        "neu": (
            "Does the {brand} {product} formula contain fragrance? Checking the ingredients list.",
            "Reading the ingredients of the {brand} {product}: niacinamide, glycerin and squalane.",
        ),
        "neg": (
            "The {brand} {product} formula changed and the new ingredients irritate my skin. Terrible.",
            "Why does the {brand} {product} still contain fragrance? Awful ingredients for reactive skin.",
        ),
    },
    "shipping": _SHIPPING,
    "price": _PRICE,
    "customer service": _CUSTOMER_SERVICE,
    "influencer review": {
        "pos": (
            "Just watched an influencer review of the {brand} {product} and I love it, ordering now!",
            "That viral review of the {brand} {product} convinced me, it really is amazing.",
            "Best influencer review this year: the {brand} {product} looks incredible.",
        ),
        "neu": (
            "Everyone on my feed is posting a review of the {brand} {product} today.",
            "Saw an influencer video about the {brand} {product}, has anyone tried it?",
        ),
        "neg": (
            "That influencer review of the {brand} {product} was clearly paid, misleading and fake.",
        ),
    },
    "product launch": {
        "pos": (
            "The new {brand} {product} launch is amazing, already ordered two!",
            "So excited about the {brand} launch, the new {product} looks gorgeous.",
        ),
        "neu": (
            "{brand} launches the new {product} today, available online from noon.",
            "The {brand} {product} launch is on the website now, first batch ships next week.",
        ),
        "neg": (
            "The {brand} launch was a mess, the new {product} sold out in minutes and the site crashed.",
        ),
    },
    "product recall": {
        "pos": (
            "Good that {brand} recalled the {product} quickly, thank you for being honest.",
        ),
        "neu": (
            "{brand} has issued a recall notice for the {product} batch sold in August.",
            "Looking up whether my {brand} {product} batch is in the recall.",
        ),
        "neg": (
            "{brand} is recalling the {product} after reports of skin burns. Scary and unacceptable.",
            "Got a painful rash from the {brand} {product} and now they announce a recall. Furious.",
            "Terrible handling of the {brand} {product} recall, no refund and no answers.",
            "The {brand} {product} recall is a disaster, how was this unsafe product ever sold?",
            "Angry and worried: I used the recalled {brand} {product} on my sensitive skin. Awful.",
        ),
    },
}

OUTDOOR: Templates = {
    "gear quality": {
        "pos": (
            "The {brand} {product} survived a week of rain in the Rockies, excellent quality.",
            "Five years on my {brand} {product} and it still looks new. Durable and great quality.",
            "Love my {brand} {product}, best gear purchase this season.",
        ),
        "neu": (
            "Thinking about the {brand} {product} for a thru-hike, how is the quality?",
            "Packing the {brand} {product} and the rest of my gear for the trail this weekend.",
            "Has anyone compared the {brand} {product} with other gear for winter camping?",
        ),
        "neg": (
            "The zipper on my {brand} {product} broke after two hikes, poor quality.",
            "My {brand} {product} started leaking on day one, disappointing quality.",
            "The seams of the {brand} {product} are falling apart already, bad quality gear.",
        ),
    },
    "sizing": {
        "pos": (
            "The {brand} {product} fits perfectly, the sizing is spot on. Love it.",
            "Great fit on the {brand} {product}, true to size and comfortable.",
        ),
        "neu": (
            "Should I size up in the {brand} {product}? Between a medium and a large.",
            "What size {brand} {product} do you wear for winter layering?",
        ),
        "neg": (
            "The {brand} {product} sizing is terrible, the large is more of a small.",
            "Had to return the {brand} {product} twice, the fit is awful and the size chart is wrong.",
        ),
    },
    "sustainability": {
        "pos": (
            "Love that {brand} repairs gear for free, the recycled {product} is a great sustainable choice.",
            "The recycled {brand} {product} is brilliant, good for the planet and the trail.",
        ),
        "neu": (
            "Is the {brand} {product} made from recycled materials? Asking about sustainability.",
            "{brand} published its sustainability report, the {product} uses recycled nylon.",
        ),
        "neg": (
            "{brand} talks about sustainability but the {product} came wrapped in plastic. Disappointing greenwashing.",
            "The {brand} repair program refused my {product}, so much for sustainable gear. Frustrating.",
        ),
    },
    "shipping": _SHIPPING,
    "price": _PRICE,
    "customer service": _CUSTOMER_SERVICE,
    "giveaway": {
        "pos": (
            "Entered the {brand} giveaway for a {product}, fingers crossed! Love this brand.",
            "I won the {brand} giveaway! The {product} arrived today, so happy.",
            "Amazing {brand} giveaway, tagging my hiking buddies to win a {product}.",
        ),
        "neu": (
            "The {brand} giveaway for a {product} ends on Sunday, details on their page.",
            "{brand} giveaway: comment below to enter for a {product}.",
        ),
        "neg": (
            "The {brand} giveaway looks rigged, same winners every time. Annoying.",
        ),
    },
    "award": {
        "pos": (
            "Congrats to {brand}, the {product} won the Gear of the Year award! Well deserved.",
            "The award-winning {brand} {product} really is the best, great choice by the judges.",
        ),
        "neu": (
            "The {brand} {product} made the Gear of the Year shortlist, results on Friday.",
            "Reading the Gear of the Year shortlist, {brand} has the {product} in the camping category.",
        ),
        "neg": (
            "No idea how the {brand} {product} got an award, mine failed on the first trip. Awful.",
        ),
    },
    "product recall": {
        "pos": (
            "Good that {brand} recalled the {product} quickly, thank you for being honest.",
        ),
        "neu": (
            "{brand} has issued a recall notice for the {product}, serial numbers are listed on its website.",
            "Looking up whether my {brand} {product} is in the recall.",
        ),
        "neg": (
            "{brand} is recalling the {product} after reports of fires. Dangerous and unacceptable.",
            "My {brand} {product} burst into flames at camp, and now there is a recall. Terrifying.",
            "Terrible handling of the {brand} {product} recall, no refund and no answers.",
            "The {brand} {product} recall is a disaster, how was this unsafe gear ever sold?",
            "Furious that the {brand} {product} recall came weeks after the fire reports. Awful.",
        ),
    },
}

FINTECH: Templates = {
    "invoicing": {
        "pos": (
            "{brand} makes invoicing so easy, our invoices get paid twice as fast. Love it.",
            "Switched our invoicing to {brand} and the {product} saves me hours every month. Brilliant.",
        ),
        "neu": (
            "Can {brand} send recurring invoices from the {product}?",
            "Setting up invoicing in {brand} for our new client accounts this week.",
        ),
        "neg": (
            "{brand} invoicing keeps sending duplicate invoices to clients, really frustrating.",
            "The {brand} {product} messed up our invoice numbering, terrible billing experience.",
        ),
    },
    "integrations": {
        "pos": (
            "The {brand} API integration is excellent, our bank feeds sync perfectly.",
            "Great integration between {brand} and Shopify, the {product} syncs in seconds.",
        ),
        "neu": (
            "Is there a {brand} integration with HubSpot? Looking at the API docs.",
            "Connecting the {brand} {product} to our accounting stack via the API today.",
        ),
        "neg": (
            "The {brand} integration with our bank broke again, sync errors all week. Annoying.",
            "The {brand} API keeps timing out, the {product} integration is useless right now.",
        ),
    },
    "security": {
        "pos": (
            "Impressed by the {brand} security setup, 2FA and audit logs are great.",
            "{brand} flagged a fraud attempt on our account instantly, brilliant security.",
        ),
        "neu": (
            "Does {brand} store data in the UK? Our compliance team is asking.",
            "Reviewing the {brand} data protection documentation for our vendor assessment.",
        ),
        "neg": (
            "{brand} locked our account for a security check in the middle of payroll, awful timing.",
            "Worried about {brand} security after that phishing email, and no answer from them.",
        ),
    },
    "onboarding": {
        "pos": (
            "Onboarding with {brand} was smooth, the migration was done in a day. Great team.",
            "The {brand} setup wizard made onboarding easy, love the {product}.",
        ),
        "neu": (
            "Starting our {brand} onboarding next week, migrating from spreadsheets.",
            "How long does {brand} onboarding usually take for a 20-person company?",
        ),
        "neg": (
            "{brand} onboarding has been a nightmare, the migration lost half our data.",
            "Two weeks into {brand} setup and onboarding is still stuck, very disappointed.",
        ),
    },
    "pricing": {
        "pos": (
            "{brand} pricing is fair and the {product} is worth every penny. Great value.",
            "Happy with the {brand} pricing, the {product} comes free with our plan.",
        ),
        "neu": (
            "Comparing {brand} pricing plans for a small agency, is the {product} in the basic plan?",
            "Does the {brand} annual subscription include the {product}? Checking the pricing page.",
        ),
        "neg": (
            "{brand} raised subscription prices again, the pricing is getting ridiculous.",
            "Paying extra for the {brand} {product} on top of the plan is a ripoff. Bad pricing.",
        ),
    },
    "customer support": {
        "pos": (
            "{brand} support answered my ticket in ten minutes, fantastic help.",
            "Thanks to the {brand} support team for sorting out our {product}, great service.",
        ),
        "neu": (
            "Opened a ticket with {brand} about the {product}, waiting for a reply.",
            "Is the {brand} live chat available on weekends?",
        ),
        "neg": (
            "Terrible service: {brand} closed my ticket without fixing anything. Useless.",
            "Three days and still no reply to my {brand} ticket about the {product}. Terrible service.",
        ),
    },
    "funding": {
        "pos": (
            "Congrats to {brand} on the Series B funding! Great news for the team.",
            "Huge funding round for {brand}, excited to see what they build next.",
        ),
        "neu": (
            "{brand} announces Series B funding led by Northgate Ventures.",
            "{brand} raised new funding this morning, details in the press release.",
        ),
        "neg": (
            "{brand} got new funding but the {product} is still broken. Disappointing.",
        ),
    },
    "feature launch": {
        "pos": (
            "The new {brand} {product} feature launch is fantastic, exactly what we needed.",
            "Love the new {brand} release, the {product} is brilliant.",
        ),
        "neu": (
            "{brand} launches a new {product} feature today for all plans.",
            "Reading the {brand} release notes for the new {product}.",
        ),
        "neg": (
            "The new {brand} {product} release broke our workflow, really annoying.",
        ),
    },
    "outage": {
        "pos": (
            "Thanks {brand} for the quick fix after the outage, great work.",
        ),
        "neu": (
            "The {brand} status page reports an outage affecting {product}, updates every 30 minutes.",
            "Checking the {brand} status page, the outage seems to affect {product}.",
        ),
        "neg": (
            "{brand} is down again and we cannot pay our suppliers. Unacceptable and infuriating outage.",
            "Third hour of the {brand} outage, payroll is stuck and nobody answers. Furious.",
            "The {brand} outage means our {product} failed today, terrible reliability.",
            "Nobody can log in, the {brand} outage is a disaster for our month end.",
            "Angry customer: the {brand} outage cost us a full day of {product}. Awful.",
        ),
    },
}

TEMPLATES: dict[str, Templates] = {"beauty": BEAUTY, "outdoor": OUTDOOR, "fintech": FINTECH}
"""Mention templates by industry key."""

TOPIC_KEYWORDS: dict[str, dict[str, list[str]]] = {
    "beauty": {
        "skincare": ["skin", "skincare", "routine"],
        "makeup": ["makeup", "shade"],
        "ingredients": ["ingredients", "formula", "fragrance"],
        "shipping": ["delivery", "shipping", "parcel", "order"],
        "price": ["price", "sale", "discount", "deal"],
        "customer service": ["customer service", "support", "refund"],
        "influencer review": ["review", "influencer"],
        "product launch": ["launch"],
        "product recall": ["recall", "recalled", "recalling"],
    },
    "outdoor": {
        "gear quality": ["quality", "gear", "durable"],
        "sizing": ["size", "sizing", "fit"],
        "sustainability": ["sustainability", "sustainable", "recycled", "repair"],
        "shipping": ["delivery", "shipping", "parcel", "order"],
        "price": ["price", "sale", "discount", "deal"],
        "customer service": ["customer service", "support", "refund"],
        "giveaway": ["giveaway"],
        "award": ["award", "awards", "gear of the year"],
        "product recall": ["recall", "recalled", "recalling"],
    },
    "fintech": {
        "invoicing": ["invoice", "invoices", "invoicing", "billing"],
        "integrations": ["integration", "api", "sync"],
        "security": ["security", "fraud", "2fa", "compliance", "data protection"],
        "onboarding": ["onboarding", "setup", "migration"],
        "pricing": ["pricing", "price", "plan", "subscription"],
        "customer support": ["support", "ticket", "live chat"],
        "funding": ["funding"],
        "feature launch": ["launch", "launches", "release"],
        "outage": ["outage", "down", "status page"],
    },
}
"""Listening keyword families (topic -> keywords) matching the templates above."""

# ---------------------------------------------------------------------------------------------
# posts: (topic, template) pairs; {product} is filled in, {cta} is a call to action

POST_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "beauty": (
        ("product", "New in: the {product}. {cta}"),
        ("product", "Meet your new favourite, the {product} \u2728 {cta}"),
        ("tutorial", "How to layer the {product} in a morning routine, step by step. {cta}"),
        ("tutorial", "Three ways to wear the {product} this season. {cta}"),
        ("behind the scenes", "Behind the scenes in our lab: testing the {product}."),
        ("ugc", "You asked, we reposted: your looks with the {product}. {cta}"),
        ("promotion", "This week only: 20 % off the {product}. {cta}"),
        ("ingredients", "What is inside the {product}? The ingredients, explained. {cta}"),
    ),
    "outdoor": (
        ("product", "Built for the long haul: the {product}. {cta}"),
        ("product", "Back in stock: the {product}. {cta}"),
        ("trail guide", "Weekend trail guide: five day hikes with the {product} in the pack. {cta}"),
        ("trail guide", "How we pack the {product} for a three-day loop. {cta}"),
        ("community", "Your trail photos of the week, featuring the {product}. {cta}"),
        ("repair", "Repair, do not replace: fixing a {product} in ten minutes. {cta}"),
        ("promotion", "Members save 15 % on the {product} this weekend. {cta}"),
        ("sustainability", "Made with recycled materials: the story of our {product}. {cta}"),
    ),
    "fintech": (
        ("product", "Meet the {product}: fewer spreadsheets, faster month end. {cta}"),
        ("product", "What is new in the {product} this month. {cta}"),
        ("thought leadership", "Five cash-flow habits of finance teams that close in three days. {cta}"),
        ("thought leadership", "Why the {product} matters for UK small businesses in 2026. {cta}"),
        ("customer story", "How an agency of 40 cut invoicing time in half with the {product}. {cta}"),
        ("webinar", "Live webinar: getting the most from the {product}. {cta}"),
        ("tax", "Making Tax Digital: what the {product} does for your VAT returns. {cta}"),
        ("hiring", "We are hiring engineers to build the {product}. {cta}"),
    ),
}

POST_CTAS: dict[str, tuple[str, ...]] = {
    "beauty": ("Shop via the link in bio.", "Tell us your favourite in the comments!",
               "Save this for later.", "Tag a friend who needs this."),
    "outdoor": ("Shop now, link in bio.", "Where are you heading this weekend?",
                "Save this for your next trip.", "Gear list in the comments."),
    "fintech": ("Read more on our blog.", "Register via the link.", "Book a demo today.",
                "What would you add? Comment below."),
}

HTML_ESCAPING_TEXT = "Escaping check: <script>alert('x')</script> & \"quotes\" in a post text."
"""One demo post carries this text so that reports are tested for HTML escaping."""
