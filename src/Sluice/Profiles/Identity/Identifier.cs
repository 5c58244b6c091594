namespace Sluice.Profiles.Identity;

/// <summary>An external id: a lowercase type (<c>user_id</c>, <c>email</c>, <c>ios.id</c> …) and a value as read from a message.</summary>
internal readonly record struct Identifier(string Type, string Value)
{
    public override string ToString() => $"{Type}:{Value}";

    /// <summary>Reads <c>type:value</c> (split at the first colon; neither part empty), as <see cref="ToString"/> writes it.</summary>
    public static bool TryParse(string text, out Identifier identifier)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        identifier = colon > 0 && colon < text.Length - 1 ? new Identifier(text[..colon], text[(colon + 1)..]) : default;
        return colon > 0 && colon < text.Length - 1;
    }
}

/// <summary>Why an identifier of an event was not added to a profile (Segment's Profiles Insights names them the same way).</summary>
internal enum DropReason
{
    /// <summary>Adding it would give the profile more values of its type than the type's limit.</summary>
    ValueLimitExceeded,

    /// <summary>Adding it would give the profile more values of its type added within the type's window than the limit.</summary>
    ValueTimeLimitExceeded,

    /// <summary>The merge it asks for would take the profile past its merge cap.</summary>
    ProfileMergeLimitExceeded,

    /// <summary>The profile would hold more identifiers than its cap.</summary>
    MappingLimitExceeded,

    /// <summary>An unmerge blocked it: recorded so that lifting the block finds the events that carried it.</summary>
    IdentifierBlocked,
}

/// <summary>An identifier of an event that was left out, and the rule that left it out.</summary>
internal sealed record DroppedIdentifier(Identifier Identifier, DropReason Reason);
