"""QGIS plugin entry point: the geoprosp Processing provider."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import GeoprospPlugin
    return GeoprospPlugin(iface)
