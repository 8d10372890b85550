using Microsoft.Extensions.Primitives;

namespace ServerlessApi;

/// <summary>
/// The API key every <c>/payments</c> request must carry. A stand-in for real authentication: the key is only required and
/// used as the client's identity (its rate-limit budget, its Idempotency-Key scope, the payments it may read).
/// </summary>
internal static class ApiKeys
{
    public const string HeaderName = "X-Api-Key";

    /// <summary>
    /// Middleware: a <c>/payments</c> request without the key is refused with 401 before the rate limiter and the
    /// Idempotency-Key handler see it (an anonymous request has no budget to spend and no scope for its key).
    /// </summary>
    public static async Task RequireOnPayments(HttpContext http, RequestDelegate next)
    {
        if (http.Request.Path.StartsWithSegments("/payments", StringComparison.OrdinalIgnoreCase)
            && StringValues.IsNullOrEmpty(http.Request.Headers[HeaderName]))
        {
            http.Response.Headers.WWWAuthenticate = "ApiKey header=\"" + HeaderName + "\"";
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "X-Api-Key is missing",
                detail: "Every /payments request carries the client's API key in the X-Api-Key header.").ExecuteAsync(http);
            return;
        }

        await next(http);
    }

    /// <summary>The request's API key (the middleware made sure there is one).</summary>
    public static string Of(HttpContext http) => http.Request.Headers[HeaderName].ToString();
}
