"""The geoprosp Processing provider: one algorithm per geoprosp binary found (the tools describe
their own options with --json-usage; any geoprosp-* beside geoprosp-map is offered). A required tool
that cannot be found or read still gets an algorithm, which says why and how to fix it."""

from processing.core.ProcessingConfig import ProcessingConfig, Setting
from qgis.core import Qgis, QgsMessageLog, QgsProcessingAlgorithm, QgsProcessingException, QgsProcessingProvider

from .algorithm import GeoprospAlgorithm
from .tools import BIN_ENV, REQUIRED_PROGRAMS, ToolError, find_program, places_searched, program_names, read_usage

BIN_SETTING = 'GEOPROSP_BIN'
SETTING_PATH = 'Settings › Options… › Processing › Providers › geoprosp › geoprosp binaries'


def not_found_message(program, configured):
    return (f'{program} was not found. Set {SETTING_PATH} to the folder that holds the geoprosp tools (or to '
            f'the path of geoprosp-map), or set the environment variable ${BIN_ENV} to it before QGIS starts; '
            f'then reload the provider (or restart QGIS). Looked in: {places_searched(configured)}.')


class GeoprospProvider(QgsProcessingProvider):
    def __init__(self):
        super().__init__()
        self.problems = []

    def id(self):  # noqa: N802 (QGIS's names)
        return 'geoprosp'

    def name(self):
        return 'geoprosp'

    def longName(self):
        return 'geoprosp mineral prospectivity'

    def warningMessage(self):
        return ' '.join(self.problems)

    def load(self):
        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(Setting(
            self.name(), BIN_SETTING,
            f'geoprosp binaries: their folder, or the path of geoprosp-map (empty: ${BIN_ENV}, then the installed tools, then PATH)',
            '', valuetype=Setting.STRING))
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        ProcessingConfig.removeSetting(BIN_SETTING)

    def loadAlgorithms(self):
        configured = ProcessingConfig.getSetting(BIN_SETTING) or ''
        self.problems = []
        for program in program_names(configured):
            path = find_program(program, configured)
            if path is None:
                self._unavailable(program, not_found_message(program, configured))
                continue
            try:
                self.addAlgorithm(GeoprospAlgorithm(path, read_usage(path)))
            except ToolError as error:  # e.g. geoprosp-slurm, a script without --json-usage
                if program in REQUIRED_PROGRAMS:
                    self._unavailable(program, f'{error}. Check {SETTING_PATH}, or ${BIN_ENV}.')
                else:
                    log(str(error), Qgis.Info)

    def _unavailable(self, program, message):
        """The required `program` cannot run: its algorithm says why, and so do the log and the provider."""
        log(message, Qgis.Critical)
        self.problems.append(message)
        self.addAlgorithm(UnavailableAlgorithm(program, message))


class UnavailableAlgorithm(QgsProcessingAlgorithm):
    """Stands in for a tool that cannot run, so that running it (geoprosp:map, say) explains why
    instead of "Algorithm geoprosp:map not found!"."""

    def __init__(self, program, message):
        super().__init__()
        self.program, self.message = program, message

    def createInstance(self):  # noqa: N802 (QGIS's names from here on)
        return UnavailableAlgorithm(self.program, self.message)

    def name(self):
        return self.program.split('-', 1)[-1]

    def displayName(self):
        return f'{self.program} (not available)'

    def shortHelpString(self):
        return self.message

    def initAlgorithm(self, config=None):
        pass

    def checkParameterValues(self, parameters, context):
        return False, self.message

    def processAlgorithm(self, parameters, context, feedback):
        raise QgsProcessingException(self.message)


def log(message, level):
    QgsMessageLog.logMessage(message, 'geoprosp', level)
