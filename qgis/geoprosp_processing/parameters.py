"""Processing parameters made from a tool's --json-usage options, and their values as arguments.

No parameter is written out by hand: each option of the tool's JSON description becomes one
parameter, chosen by the option's role and type."""

import os
import re

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProviderRegistry,
)

DESTINATIONS = {
    'output_raster': QgsProcessingParameterRasterDestination,
    'output_vector': QgsProcessingParameterVectorDestination,
    'output_dir': QgsProcessingParameterFolderDestination,
    'output_model': QgsProcessingParameterFolderDestination,
}
LIST_SEPARATORS = re.compile(r'[;\s]+')  # e.g. creation options "COMPRESS=DEFLATE;TILED=YES"
LAYER_INPUTS = (QgsProcessingParameterMultipleLayers, QgsProcessingParameterRasterLayer,
                QgsProcessingParameterFeatureSource)


def is_exposed(option):
    """User-interface options (help, quiet, overwrite, ...) are the algorithm's business."""
    return option.get('role') != 'ui'


def parameter_name(option):
    """QGIS names (also model variables) avoid '-': --align-to becomes align_to."""
    return option['name'].replace('-', '_')


def label(option):
    """The option's label for forms, from the tool's option table (the option's name for a tool too old
    to give one)."""
    return option.get('label') or option['name']


def form_help(option):
    """The option's help written for forms: no command-line flags (tools too old to give it: their help)."""
    return option.get('form_help') or option.get('help') or ''


def make_parameter(option):
    parameter = _parameter_for(option, label(option), not option.get('required'))
    if form_help(option):
        parameter.setHelp(form_help(option))
    if option.get('advanced'):
        parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return parameter


def _parameter_for(option, description, optional):
    name, role, kind = parameter_name(option), option.get('role') or '', option['type']
    default, repeatable = option.get('default'), option.get('repeatable')
    if role == 'input_rasters' or (role == 'input_raster' and repeatable):
        return QgsProcessingParameterMultipleLayers(name, description, QgsProcessing.TypeRaster, optional=optional)
    if role == 'input_raster':
        return QgsProcessingParameterRasterLayer(name, description, optional=optional)
    if role == 'input_vector' and repeatable:
        return QgsProcessingParameterMultipleLayers(name, description, QgsProcessing.TypeVectorAnyGeometry,
                                                    optional=optional)
    if role == 'input_vector':
        return QgsProcessingParameterFeatureSource(name, description, [QgsProcessing.TypeVectorAnyGeometry],
                                                   optional=optional)
    if role == 'input_model':
        return QgsProcessingParameterFile(name, description, QgsProcessingParameterFile.Folder, optional=optional)
    if role == 'output_file':
        return QgsProcessingParameterFileDestination(name, description, _file_filter(option), optional=optional,
                                                     createByDefault=not optional)
    if role in DESTINATIONS:
        return DESTINATIONS[role](name, description, optional=optional, createByDefault=not optional)
    if repeatable:
        return QgsProcessingParameterString(name, f"{description} (several: separate with ';' or spaces)", default,
                                            optional=True)
    if kind == 'choice':
        choices = option['choices']
        return QgsProcessingParameterEnum(name, description, choices, defaultValue=default if default in choices else None,
                                          optional=optional, usesStaticStrings=True)  # values are the choices
    if kind in ('int', 'float'):
        return _number_parameter(option, description, optional)
    if kind == 'bool':
        return QgsProcessingParameterBoolean(name, description, default == 'true', optional=True)
    if kind == 'path':
        return QgsProcessingParameterFile(name, description, defaultValue=default, optional=optional)
    return QgsProcessingParameterString(name, description, default, optional=optional)


def _file_filter(option):
    """From the option's "extensions" (e.g. ["png"]), if the tool gives them; a temporary output
    then gets the first one instead of QGIS's '.file'."""
    extensions = option.get('extensions') or []
    return ';;'.join(f'{extension.upper()} files (*.{extension})' for extension in extensions) or 'All files (*.*)'


def _number_parameter(option, description, optional):
    integer = option['type'] == 'int'
    number = int if integer else float
    limits = {key: number(option[field]) for key, field in (('minValue', 'min'), ('maxValue', 'max'))
              if option.get(field) is not None}
    default = option.get('default')
    return QgsProcessingParameterNumber(
        parameter_name(option), description,
        QgsProcessingParameterNumber.Integer if integer else QgsProcessingParameterNumber.Double,
        None if default is None else number(float(default)), optional, **limits)


def existing_files(value):
    """`value` as a list of paths when it names one or more existing files, else None.

    Such inputs go to the tool unchanged, so that the tool, not QGIS, judges them."""
    values = value if isinstance(value, list) else [value]
    if values and all(isinstance(item, str) and os.path.isfile(item) for item in values):
        return values
    return None


def is_layer_input(definition):
    return isinstance(definition, LAYER_INPUTS)


def command_arguments(algorithm, option, parameters, context, feedback):
    """The command-line words for one option: `--NAME VALUE` per value, `--NAME` for a set flag,
    bare values for a positional option, nothing for an option left unset."""
    definition = algorithm.parameterDefinition(parameter_name(option))
    flag = '--' + option['name']
    if isinstance(definition, QgsProcessingParameterBoolean):
        return [flag] if algorithm.parameterAsBoolean(parameters, definition.name(), context) else []
    values = _values(algorithm, option, definition, parameters, context, feedback)
    if option.get('positional'):
        return values
    return [word for value in values for word in (flag, value)]


def _values(algorithm, option, definition, parameters, context, feedback):
    name = definition.name()
    if isinstance(definition, (QgsProcessingParameterRasterDestination, QgsProcessingParameterVectorDestination)):
        return _non_empty([algorithm.parameterAsOutputLayer(parameters, name, context)])
    if isinstance(definition, (QgsProcessingParameterFileDestination, QgsProcessingParameterFolderDestination)):
        return _non_empty([algorithm.parameterAsFileOutput(parameters, name, context)])
    value = parameters.get(name)
    if _is_unset(value) and _is_unset(definition.defaultValue()):
        return []
    if is_layer_input(definition) and existing_files(value):
        return existing_files(value)
    if isinstance(definition, QgsProcessingParameterFeatureSource):
        return [algorithm.parameterAsCompatibleSourceLayerPath(
            parameters, name, context, ['gpkg', 'shp', 'geojson'], 'gpkg', feedback)]
    if isinstance(definition, QgsProcessingParameterMultipleLayers):
        return [file_of(layer) for layer in algorithm.parameterAsLayerList(parameters, name, context)]
    if isinstance(definition, QgsProcessingParameterRasterLayer):
        return [file_of(algorithm.parameterAsRasterLayer(parameters, name, context))]
    if isinstance(definition, QgsProcessingParameterEnum):
        return _non_empty([enum_value(definition, value)])
    if isinstance(definition, QgsProcessingParameterNumber):
        if definition.dataType() == QgsProcessingParameterNumber.Integer:
            return [str(algorithm.parameterAsInt(parameters, name, context))]
        return [repr(algorithm.parameterAsDouble(parameters, name, context))]  # locale-free, round-trips
    if isinstance(definition, QgsProcessingParameterFile):
        return _non_empty([algorithm.parameterAsFile(parameters, name, context)])
    text = algorithm.parameterAsString(parameters, name, context)
    return _non_empty(LIST_SEPARATORS.split(text) if option.get('repeatable') else [text])


def enum_value(definition, value):
    """The choice an enum parameter's value names: the choice itself, or its index (0-based, as
    QGIS numbers the options), given as a number or as text. The tools take the choice."""
    choices = definition.options()
    if _is_unset(value):
        value = definition.defaultValue()
        if _is_unset(value):
            return ''
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    text = str(value).strip()
    if text in choices:
        return text
    if isinstance(value, bool):  # True is an int in Python, not an index
        value = None
    try:
        index = int(text) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        index = None
    if index is not None and str(index) == text and 0 <= index < len(choices):
        return choices[index]
    numbered = ', '.join(f'{i} {choice}' for i, choice in enumerate(choices))
    raise QgsProcessingException(f'{definition.description()}: {text!r} is not one of its options ({numbered})')


def enum_acceptable(definition, value):
    """Whether enum_value accepts `value` (for the algorithm's parameter check)."""
    try:
        enum_value(definition, value)
        return True
    except QgsProcessingException:
        return False


def file_of(layer):
    """The dataset a layer reads, as GDAL names it."""
    if layer is not None and layer.providerType() == 'gdal':
        return layer.source()
    if layer is not None and layer.providerType() == 'ogr':
        return QgsProviderRegistry.instance().decodeUri('ogr', layer.source())['path']
    raise QgsProcessingException(f'{layer.name() if layer else "input"}: not a file-based layer; save it to a file first')


def _is_unset(value):
    """None, QGIS's NULL (which equals None), '' or []."""
    return value == None or (isinstance(value, (str, list)) and not value)  # noqa: E711


def _non_empty(values):
    return [value for value in values if value]
