"""Registers the geoprosp Processing provider; no GUI of its own."""

from qgis.core import QgsApplication

from .provider import GeoprospProvider


class GeoprospPlugin:
    def __init__(self, iface):
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS's name)
        if self.provider is None:
            self.provider = GeoprospProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS's name)
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
