using System.CommandLine;
using Sluice.Cli;

// No response files: "@file" is sluice api's way to read a body from a file, not a list of arguments.
return await SluiceCommandLine.Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).InvokeAsync();
