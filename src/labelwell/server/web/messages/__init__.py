"""Message catalogues of the web app's areas, one module each (``MESSAGES``:
key -> {"en": ..., "ko": ...}); :mod:`labelwell.server.web.i18n` merges them."""
