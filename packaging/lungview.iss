; Inno Setup script for LungView's Windows installer. Built by packaging/make_installer.py (or CI) with:
;   iscc /DAppVersion=0.1.0 /DSourceDir=<dist>\LungView /DOutputDir=<out> packaging\lungview.iss
; Installs per user by default (no administrator rights needed in a hospital), offers all users when elevated.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z
#endif
#ifndef SourceDir
  #error Pass the built bundle folder: iscc /DSourceDir=path\to\dist\LungView
#endif
#ifndef OutputDir
  #define OutputDir "."
#endif

#define AppName "LungView"
#define AppExe "LungView.exe"

[Setup]
AppId={{5B0E2C71-6E0A-4C55-9A5E-2C3F3D6E7A41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=LungView contributors
AppComments=Offline chest-CT viewer with an AI second reader. Research and education; a second reader, not a diagnosis.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
SetupIconFile={#SourcePath}\..\resources\icons\lungview.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
InfoBeforeFile={#SourcePath}\installer-notice.txt
#ifdef SignTool
SignTool={#SignTool}
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
