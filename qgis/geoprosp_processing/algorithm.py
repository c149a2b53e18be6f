"""One geoprosp tool as a Processing algorithm, its parameters made from its --json-usage."""

import glob
import os
import shlex
import shutil

from qgis.core import (QgsProcessingAlgorithm, QgsProcessingDestinationParameter, QgsProcessingException,
                       QgsProcessingParameterEnum, QgsProcessingParameterRasterDestination)

from .legend import NamedCategoriesLegend

from .parameters import (command_arguments, enum_acceptable, existing_files, file_of, form_help, is_exposed,
                         is_layer_input, label, make_parameter, parameter_name)
from .runner import ERROR, run_tool


class GeoprospAlgorithm(QgsProcessingAlgorithm):
    def __init__(self, program_path, usage):
        super().__init__()
        self.program_path, self.usage = program_path, usage
        self.options = [option for option in usage['options'] if is_exposed(option)]
        self.accepts_overwrite = any(option['name'] == 'overwrite' for option in usage['options'])

    def createInstance(self):  # noqa: N802 (QGIS's names from here on)
        return GeoprospAlgorithm(self.program_path, self.usage)

    def name(self):
        return self.usage['program'].split('-', 1)[-1]  # geoprosp-map -> map

    def displayName(self):
        return self.usage.get('title') or self.usage['program']

    def shortHelpString(self):
        options = [form_help(option) if form_help(option).startswith(label(option))
                   else f"{label(option)}: {form_help(option)}" for option in self.options
                   if form_help(option) not in ('', label(option))]  # what the short labels left out
        return '\n'.join([self.usage.get('description', ''), ''] + options +
                         ['', f"{self.usage['program']} {self.usage.get('version', '')}"])

    def initAlgorithm(self, config=None):
        for option in self.options:
            self.addParameter(make_parameter(option))

    def checkParameterValues(self, parameters, context):
        """As QGIS's own check, except that input files are left for the tool to judge,
        so that a file it cannot read fails with the tool's own message."""
        self._release_inputs(parameters, context)  # also when the check fails and nothing runs
        for definition in self.parameterDefinitions():
            value = parameters.get(definition.name())
            if is_layer_input(definition) and existing_files(value):
                continue
            if isinstance(definition, QgsProcessingParameterEnum):  # a choice, or its index
                if not enum_acceptable(definition, value):
                    choices = definition.options()
                    return False, (f'Incorrect parameter value for {definition.description()}: {value!r} is not one '
                                   f'of {", ".join(choices)} (or their numbers, 0 to {len(choices) - 1})')
                continue
            if not definition.checkValueIsAcceptable(value, context):
                return False, f'Incorrect parameter value for {definition.description()}'
        return True, ''

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        self._release_inputs(parameters, context)
        return True

    def _release_inputs(self, parameters, context):
        """The tools read the input files themselves. QGIS may have opened them as layers to check the
        parameters (qgis_process does), which computes statistics that GDAL then saves beside each file
        when the layer closes; those layers are closed now and the .aux.xml they leave removed."""
        files = [path for definition in self.parameterDefinitions() if is_layer_input(definition)
                 for path in existing_files(parameters.get(definition.name())) or []]
        release_input_layers(files, context)

    def validateInputCrs(self, parameters, context):
        """The tools check their inputs' grids and CRSs themselves, and say what is wrong; QGIS's check
        would open every input as a layer and, in the Toolbox, ask a question."""
        return True

    def processAlgorithm(self, parameters, context, feedback):
        arguments = {parameter_name(option): command_arguments(self, option, parameters, context, feedback)
                     for option in self.options}
        named = [word for option in self.options if not option.get('positional')
                 for word in arguments[parameter_name(option)]]
        positional = [word for option in self.options if option.get('positional')
                      for word in arguments[parameter_name(option)]]
        # QGIS may create output files before the run, so the tool must be allowed to replace them.
        command = [self.program_path] + (['--overwrite'] if self.accepts_overwrite else []) + named + positional
        outputs = {name: words[-1] for name, words in arguments.items()
                   if words and isinstance(self.parameterDefinition(name), QgsProcessingDestinationParameter)}
        feedback.pushCommandInfo(' '.join(shlex.quote(word) for word in command))

        pids = []
        try:
            finished = run_tool(command, feedback, pids.append)
        except OSError as error:  # e.g. the binary was removed or is not executable
            raise QgsProcessingException(f'cannot run {self.program_path}: {error.strerror}') from error
        if finished is None:
            remove_partial_outputs(outputs.values(), pids)
            raise QgsProcessingException(f"{self.usage['program']}: canceled")
        exit_code, messages = finished
        errors = [line for line in messages if ERROR.search(line)]
        if exit_code != 0:
            raise QgsProcessingException('\n'.join(errors or messages) or
                                         f"{self.usage['program']} failed (exit code {exit_code})")
        for line in errors:  # a tool that succeeds prints none; should one, it is shown, once
            feedback.reportError(line)
        for name, path in outputs.items():
            if isinstance(self.parameterDefinition(name), QgsProcessingParameterRasterDestination) \
                    and context.willLoadLayerOnCompletion(path):
                context.layerToLoadOnCompletionDetails(path).setPostProcessor(NamedCategoriesLegend.create())
        return outputs


def release_input_layers(paths, context):
    """Closes the layers of `paths` that QGIS loaded into the run's temporary layer store, and removes
    the .aux.xml that closing them wrote where none was before: the inputs stay as the user left them."""
    store = context.temporaryLayerStore()
    wanted = {os.path.realpath(path) for path in paths}
    layers = [layer for layer in store.mapLayers().values() if _layer_file(layer) in wanted]
    if not layers:
        return
    fresh = [path + '.aux.xml' for path in paths if not os.path.exists(path + '.aux.xml')]
    store.removeMapLayers(layers)
    for aux in fresh:
        if os.path.isfile(aux):
            os.remove(aux)


def _layer_file(layer):
    try:
        return os.path.realpath(file_of(layer))
    except QgsProcessingException:
        return None


def remove_partial_outputs(paths, pids):
    """The tools stage their outputs in `.geoprosp-HOST-PID-XXXXXX` folders beside them (in an
    existing output folder, inside it) and remove them themselves when stopped by SIGTERM; this
    removes what a run killed before it could left."""
    for path in paths:
        if not isinstance(path, str) or not path:
            continue
        for folder in {os.path.dirname(os.path.abspath(path)), os.path.abspath(path)}:
            for pid in pids:
                for leftover in glob.glob(os.path.join(glob.escape(folder), f'.geoprosp-*-{pid}-??????')):
                    if os.path.isdir(leftover) and not os.path.islink(leftover):
                        shutil.rmtree(leftover, ignore_errors=True)
