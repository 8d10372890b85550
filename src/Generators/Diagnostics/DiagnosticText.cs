using System.Globalization;
using System.Linq;
using NativeAotPersistence.Generators.Model;

namespace NativeAotPersistence.Generators.Diagnostics;

/// <summary>The text of a diagnostic, for the generated code that refuses a type at run time.</summary>
internal static class DiagnosticText
{
    /// <summary>"NAP0003: The type … is not supported …", as the compiler prints it.</summary>
    public static string Format(DiagnosticInfo info)
    {
        var descriptor = DiagnosticDescriptors.Find(info.Id)!;
        var message = string.Format(CultureInfo.InvariantCulture, descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture), info.MessageArgs.Cast<object>().ToArray());
        return info.Id + ": " + message;
    }
}
