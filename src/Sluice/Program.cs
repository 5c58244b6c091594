using System.CommandLine;
using Sluice.Cli;

var root = SluiceCommandLine.Build();
// No response files: "@file" is sluice api's way to read a body from a file, not a list of arguments.
var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parsed.Errors.Count > 0)
{
    // Bad input exits 2, as every verb's own input checks do; 1 is for what went wrong at the other end.
    var verbs = root.Subcommands.Select(c => c.Name).ToList();
    if (args is [var first, ..] && !first.StartsWith('-') && !verbs.Contains(first))
    {
        // A mistyped verb gets one line that says so, not the parser's list of everything that followed from it.
        var closest = verbs.MinBy(v => CommandNames.Distance(first, v))!;
        var guess = CommandNames.Distance(first, closest) <= 2 ? $" Did you mean '{closest}'?" : "";
        Console.Error.WriteLine($"sluice: '{first}' is not a command.{guess} The commands: {string.Join(", ", verbs)}. Run 'sluice --help' for more.");
        return 2;
    }

    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"sluice: {error.Message}");
    }

    Console.Error.WriteLine($"Run '{string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Prepend("sluice"))} --help' for the options.");
    return 2;
}

return await parsed.InvokeAsync();
