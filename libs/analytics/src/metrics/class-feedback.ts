import { defineMetric } from './define.js';
import { classFilters, partitionRange } from './filters.js';
import { dateParam, integerLiteral, sql, trusted } from './sql.js';

/**
 * Class feedback metrics, over `fact_class_feedback` (the class_feedback dataset with the local day each rating was
 * submitted, see LOCAL_FACTS in ../views.ts). Scaffolded by `npm run new-dataset -- class_feedback`, then written:
 * the worked example of docs/etl-templates.md.
 */
export const classRatings = defineMetric({
  id: 'class_ratings',
  title: 'Class ratings by class type and instructor',
  category: 'classes',
  definition:
    'Ratings members submitted on local days [`from`, `to`], grouped by the type and instructor of the class rated: ratings, classes rated, ' +
    'average stars (1–5), the share of 4- and 5-star ratings, the share that would recommend the class (of the ratings that answered that question) ' +
    'and the comments left. Groups with fewer than `minRatings` ratings are left out (too few to compare).',
  filtersApply: 'location = where the rated class was held; class type / instructor = ratings of such classes only',
  options: { minRatings: { kind: 'integer', description: 'Fewest ratings a group needs to be listed', default: 1, min: 1, max: 1000 } },
  columns: [
    { name: 'class_type', type: 'VARCHAR', description: 'Kind of class rated' },
    { name: 'instructor_id', type: 'VARCHAR', description: 'Instructor of the rated classes' },
    { name: 'instructor_name', type: 'VARCHAR', description: 'Their name on the schedule (of their latest class)' },
    { name: 'ratings', type: 'BIGINT', description: 'Ratings submitted in the range' },
    { name: 'classes_rated', type: 'BIGINT', description: 'Distinct class sessions those ratings are about' },
    { name: 'avg_rating', type: 'DOUBLE', description: 'Mean stars' },
    { name: 'top_box_share', type: 'DOUBLE', description: 'Ratings of 4 or 5 stars ÷ ratings' },
    { name: 'would_recommend_share', type: 'DOUBLE', description: '"Would recommend" ÷ ratings that answered the question (empty when none did)' },
    { name: 'comments', type: 'BIGINT', description: 'Ratings with a comment' },
  ],
  orderBy: 'class_type, instructor_id',
  build(f, o) {
    return sql`WITH rated AS (
  SELECT r.class_id, r.rating, r.would_recommend, r.comment, c.class_type, c.instructor_id
  FROM fact_class_feedback r JOIN dim_classes c ON c.class_id = r.class_id
  WHERE ${partitionRange(f.from, f.to)} AND r.local_date BETWEEN ${dateParam(f.from)} AND ${dateParam(f.to)}${f.location ? sql` AND c.location_id = ${f.location}` : trusted('')}${classFilters(f, 'c')}
),
names AS (
  SELECT instructor_id, instructor_name, row_number() OVER (PARTITION BY instructor_id ORDER BY starts_at DESC, class_id DESC) AS pick FROM dim_classes
)
SELECT g.class_type, g.instructor_id, n.instructor_name, count(*) AS ratings, count(DISTINCT g.class_id) AS classes_rated,
  avg(CAST(g.rating AS DOUBLE)) AS avg_rating,
  CAST(sum(CASE WHEN g.rating >= 4 THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS top_box_share,
  CASE WHEN count(g.would_recommend) = 0 THEN NULL
    ELSE CAST(sum(CASE WHEN g.would_recommend THEN 1 ELSE 0 END) AS DOUBLE) / count(g.would_recommend) END AS would_recommend_share,
  count(g.comment) AS comments
FROM rated g
JOIN names n ON n.instructor_id = g.instructor_id AND n.pick = 1
GROUP BY g.class_type, g.instructor_id, n.instructor_name
HAVING count(*) >= ${integerLiteral(Number(o.minRatings))}
ORDER BY g.class_type, g.instructor_id`;
  },
});
