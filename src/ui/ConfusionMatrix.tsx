const pct = (num: number, den: number) => (den ? `${((100 * num) / den).toFixed(1)}%` : '–');

/** A confusion matrix (rows: gold, columns: predicted) with each class's recall (last column) and precision (last row). */
export function ConfusionMatrix({ labels, matrix, caption }: { labels: string[]; matrix: number[][]; caption: string }) {
  const column = (j: number) => matrix.reduce((a, row) => a + row[j], 0);
  return (
    <table className="confusion">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">gold \ predicted</th>
          {labels.map((l) => (
            <th scope="col" key={l}>
              {l}
            </th>
          ))}
          <th scope="col">recall</th>
        </tr>
      </thead>
      <tbody>
        {labels.map((g, i) => (
          <tr key={g}>
            <th scope="row">{g}</th>
            {matrix[i].map((n, j) => (
              <td key={j} className={i === j ? 'diagonal' : undefined}>
                {n}
              </td>
            ))}
            <td>{pct(matrix[i][i], matrix[i].reduce((a, b) => a + b, 0))}</td>
          </tr>
        ))}
        <tr>
          <th scope="row">precision</th>
          {labels.map((l, j) => (
            <td key={l}>{pct(matrix[j][j], column(j))}</td>
          ))}
          <td />
        </tr>
      </tbody>
    </table>
  );
}
