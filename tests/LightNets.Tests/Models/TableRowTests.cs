using System.Reflection;
using System.Runtime.CompilerServices;
using LightNets.Models;

namespace LightNets.Tests.Models;

/// <summary>
/// The house style of every family's table (DESIGN "Naming", principle 1): each table is an array of rows, each row a
/// readonly record struct whose columns are typed — enums, booleans, numbers or typed column structs, never strings, so
/// a builder's switch over a row cannot meet a value the type does not name.
/// </summary>
public class TableRowTests
{
    /// <summary>The public types of the model zoo whose names end in <paramref name="suffix"/>.</summary>
    private static Type[] ModelTypes(string suffix) => typeof(ModelConfig).Assembly.GetTypes()
        .Where(t => t.IsPublic && t.Namespace?.StartsWith("LightNets.Models", StringComparison.Ordinal) == true && t.Name.EndsWith(suffix, StringComparison.Ordinal))
        .ToArray();

    private static readonly Type[] RowTypes = ModelTypes("Row");

    public static TheoryData<string> Tables() => new(ModelTypes("Table").Select(t => t.FullName!));

    [Theory]
    [MemberData(nameof(Tables))]
    public void Every_table_is_made_of_typed_rows(string table)
    {
        var type = typeof(ModelConfig).Assembly.GetType(table)!;
        var rowArrays = type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType.IsArray && RowTypes.Contains(f.FieldType.GetElementType())).ToArray();
        Assert.True(rowArrays.Length > 0, $"{table} has no array of a *Row type");
        foreach (var field in rowArrays)
        {
            var row = field.FieldType.GetElementType()!;
            Assert.True(IsReadOnlyRecordStruct(row), $"{row.Name} is not a readonly record struct");
            foreach (var column in row.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                Assert.True(IsTyped(column.PropertyType), $"{row.Name}.{column.Name} is a {column.PropertyType.Name}, not a typed column");
            Assert.NotEmpty((Array)field.GetValue(null)!);
        }
    }

    private static bool IsReadOnlyRecordStruct(Type t) =>
        t.IsValueType && t.IsDefined(typeof(IsReadOnlyAttribute))
        // The compiler's record members: a record struct prints its columns through PrintMembers.
        && t.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance)?.IsDefined(typeof(CompilerGeneratedAttribute)) == true;

    /// <summary>An enum, bool or number, or a readonly record struct of such columns (e.g. per-g channels), nullable or not.</summary>
    private static bool IsTyped(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t.IsEnum || t == typeof(bool) || t == typeof(int) || t == typeof(double)) return true;
        return IsReadOnlyRecordStruct(t) && t.GetProperties(BindingFlags.Public | BindingFlags.Instance).All(p => IsTyped(p.PropertyType));
    }
}
