"""The geoprosp Processing provider: one algorithm per geoprosp binary found (the tools describe
their own options with --json-usage; any geoprosp-* beside geoprosp-map is offered)."""

from processing.core.ProcessingConfig import ProcessingConfig, Setting
from qgis.core import Qgis, QgsMessageLog, QgsProcessingProvider

from .algorithm import GeoprospAlgorithm
from .tools import BIN_ENV, REQUIRED_PROGRAMS, ToolError, find_program, program_names, read_usage

BIN_SETTING = 'GEOPROSP_BIN'


class GeoprospProvider(QgsProcessingProvider):
    def id(self):  # noqa: N802 (QGIS's names)
        return 'geoprosp'

    def name(self):
        return 'geoprosp'

    def longName(self):
        return 'geoprosp mineral prospectivity'

    def load(self):
        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(Setting(
            self.name(), BIN_SETTING,
            f'geoprosp binaries: their folder, or the path of geoprosp-map (empty: ${BIN_ENV}, then PATH)',
            '', valuetype=Setting.STRING))
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        ProcessingConfig.removeSetting(BIN_SETTING)

    def loadAlgorithms(self):
        configured = ProcessingConfig.getSetting(BIN_SETTING) or ''
        for program in program_names(configured):
            path = find_program(program, configured)
            if path is None:
                log(f'{program} not found: set Processing › Providers › geoprosp, or ${BIN_ENV}, or PATH',
                    Qgis.Warning)
                continue
            try:
                self.addAlgorithm(GeoprospAlgorithm(path, read_usage(path)))
            except ToolError as error:  # e.g. geoprosp-slurm, a script without --json-usage
                log(str(error), Qgis.Critical if program in REQUIRED_PROGRAMS else Qgis.Info)


def log(message, level):
    QgsMessageLog.logMessage(message, 'geoprosp', level)
