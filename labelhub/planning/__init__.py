"""The PM's campaign pages (/campaigns/): planning, consent texts, invites, long-media sources,
bulk uploads, and the demo loader.

They show and change campaigns together with its speakers and recordings, so they sit above all
three apps; campaigns itself (models, services, selectors, API) imports neither of them.
"""
