namespace Sluice.Actions.Kit;

/// <summary>Why an action did not deliver, in destination-kit's terms; the kind alone decides what happens next.</summary>
public enum ActionErrorKind
{
    /// <summary>The event cannot make a valid request (destination-kit's PayloadValidationError): skipped, never retried.</summary>
    PayloadInvalid,

    /// <summary>The service refused the credentials (InvalidAuthenticationError): failed at once; retrying cannot fix a key.</summary>
    CredentialsRefused,

    /// <summary>The service may take the request later (RetryableError: 408, 423, 429, 5xx but 501, timeouts, network): retried with backoff.</summary>
    RetryableHttp,

    /// <summary>The service refused this request for good (an IntegrationError with another 4xx, or 501): failed at once.</summary>
    PermanentHttp,
}

/// <summary>
/// An action's typed failure. An action throws it from perform (a setting it needs is missing: <see
/// cref="ActionErrorKind.CredentialsRefused"/>), and a destination's <see cref="OutgoingRequest.ClassifyAnswer"/>
/// returns one for an answer whose status alone says the wrong thing (a 400 that means "slow down").
/// </summary>
public class ActionError(ActionErrorKind kind, string message) : Exception(message)
{
    public ActionErrorKind Kind { get; } = kind;

    /// <summary>What an HTTP status means when the destination says nothing more.</summary>
    public static ActionErrorKind KindOf(int status) => status switch
    {
        401 or 403 => ActionErrorKind.CredentialsRefused,
        408 or 423 or 429 => ActionErrorKind.RetryableHttp,
        501 => ActionErrorKind.PermanentHttp,
        >= 500 => ActionErrorKind.RetryableHttp,
        _ => ActionErrorKind.PermanentHttp,
    };
}
