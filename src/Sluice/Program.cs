using System.CommandLine;
using Sluice.Cli;

// No response files: "@file" is sluice api's way to read a body from a file, not a list of arguments.
var parsed = SluiceCommandLine.Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parsed.Errors.Count > 0)
{
    // Bad input exits 2, as every verb's own input checks do; 1 is for what went wrong at the other end.
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"sluice: {error.Message}");
    }

    Console.Error.WriteLine($"Run '{string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Prepend("sluice"))} --help' for the options.");
    return 2;
}

return await parsed.InvokeAsync();
