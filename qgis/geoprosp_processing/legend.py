"""Keeps a classified raster's legend to its named categories.

A GeoTIFF colour table always has 256 entries, so QGIS would list 252 unnamed black classes
after background, low, moderate and high."""

from qgis.core import QgsPalettedRasterRenderer, QgsProcessingLayerPostProcessorInterface, QgsRasterLayer


class NamedCategoriesLegend(QgsProcessingLayerPostProcessorInterface):
    pending = []  # Python must keep each post-processor alive until QGIS has used it

    @staticmethod
    def create():
        post_processor = NamedCategoriesLegend()
        NamedCategoriesLegend.pending.append(post_processor)
        return post_processor

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        if isinstance(layer, QgsRasterLayer):
            keep_named_classes(layer)
        NamedCategoriesLegend.pending.remove(self)


def keep_named_classes(layer):
    """QGIS labels colour-table classes with the band's GDAL category names, and unnamed ones with
    their bare value: keep the named ones, if there are any."""
    renderer = layer.renderer()
    if not isinstance(renderer, QgsPalettedRasterRenderer):
        return
    named = [entry for entry in renderer.classes() if entry.label not in ('', f'{entry.value:g}')]
    if named and len(named) < len(renderer.classes()):
        layer.setRenderer(QgsPalettedRasterRenderer(layer.dataProvider(), renderer.band(), named))
        layer.triggerRepaint()
